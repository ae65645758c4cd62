//! The HTTP surface end to end, as one test binary (one link, not one per
//! file): generated portfolios imported into SQLite, served on loopback ports,
//! read and written with a real HTTP client.

mod access;
mod alert_lifecycle;
mod audit;
mod delivery;
mod demo_health;
mod exports;
mod goals_body;
mod http;
mod hygiene;
mod live;
mod meetings;
mod models;
mod openapi;
mod overrides;
mod pages;
mod sdk;
mod sharing;
mod support;
mod tasks;
mod tracking;
