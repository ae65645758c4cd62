//! Sending one delivery: the HTTP client every delivery shares (a timeout
//! per request, no redirects followed, no proxy, and a resolver that
//! refuses a host any of whose addresses is not one a webhook may reach and
//! hands the connector exactly the addresses it checked, so a name that
//! resolves differently a moment later cannot slip past), and what an
//! attempt came to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rapport_core::Timestamp;
use rapport_core::alerts::delivery::address::{AllowedNetworks, RefusedAddress, check_address};
use rapport_core::alerts::delivery::{Delivery, Subscription, check_url};

use super::signature;
use crate::{AppError, AppResult};

/// A host whose addresses a webhook may not reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to an address a webhook may not reach: {refusal}")]
pub struct AddressRefused {
    pub host: String,
    pub refusal: RefusedAddress,
}

/// Checks every address `host` resolved to: all must be ones a webhook may
/// reach (one that is not makes the whole name suspect).
pub fn check_resolved(
    host: &str,
    addresses: &[SocketAddr],
    allowed: &AllowedNetworks,
) -> Result<(), AddressRefused> {
    for address in addresses {
        check_address(address.ip(), allowed).map_err(|refusal| AddressRefused {
            host: host.to_string(),
            refusal,
        })?;
    }
    Ok(())
}

/// reqwest's resolver: the system's answer, checked.
struct CheckedResolver {
    allowed: AllowedNetworks,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check_resolved(&host, &addresses, &allowed)?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// The client deliveries are sent with.
pub(crate) fn client(allowed: &AllowedNetworks, timeout: Duration) -> AppResult<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the name itself, past the check.
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver {
            allowed: allowed.clone(),
        }))
        .build()
        .map_err(|error| AppError::External(format!("cannot build the HTTP client: {error}")))
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sent {
    Delivered,
    /// The receiver answered, not 2xx.
    Answered(String),
    /// No answer: unreachable, or not within the timeout.
    NoAnswer(String),
    /// Not sent: the URL or an address it resolves to is not one a webhook
    /// may reach (under the allowed networks in force now).
    Refused(String),
}

/// Sends `delivery` to `subscription`, signed with `secret` at `now`.
pub(crate) async fn send(
    client: &reqwest::Client,
    allowed: &AllowedNetworks,
    timeout: Duration,
    subscription: &Subscription,
    secret: &str,
    delivery: &Delivery,
    now: Timestamp,
) -> Sent {
    let url = &subscription.url;
    // The URL is checked again: the allowed networks may have narrowed since
    // it was added, and an address written in it never reaches the resolver.
    if let Err(reason) = check_url(url, allowed) {
        return Sent::Refused(format!("refused: the URL {reason}"));
    }
    let timestamp = now.millis().div_euclid(1000);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-rapport-delivery", delivery.id.to_string())
        .header("x-rapport-timestamp", timestamp.to_string())
        .header(
            "x-rapport-signature",
            signature(secret, timestamp, &delivery.payload),
        )
        .body(delivery.payload.clone())
        .send()
        .await;
    match response {
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                Sent::Delivered
            } else if status.is_redirection() {
                Sent::Answered(format!(
                    "{url} answered {status}; redirects are not followed"
                ))
            } else {
                Sent::Answered(format!("{url} answered {status}"))
            }
        }
        Err(error) => {
            if let Some(refused) = source_of::<AddressRefused>(&error) {
                Sent::Refused(format!("refused: {refused}"))
            } else if error.is_timeout() {
                Sent::NoAnswer(format!(
                    "{url} did not answer within {} s",
                    timeout.as_secs_f64()
                ))
            } else {
                Sent::NoAnswer(format!("cannot reach {url}: {}", causes(&error)))
            }
        }
    }
}

/// The first error of type `E` in `error`'s chain of sources.
fn source_of<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// An error and its causes, as one line.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        current = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(list: &[&str]) -> Vec<SocketAddr> {
        list.iter()
            .map(|address| SocketAddr::new(address.parse().unwrap(), 443))
            .collect()
    }

    #[test]
    fn every_resolved_address_must_be_reachable() {
        let none = AllowedNetworks::none();
        assert!(check_resolved("hooks.example.com", &addresses(&["93.184.216.34"]), &none).is_ok());
        // A name that resolves to the metadata address (DNS rebinding).
        let refused = check_resolved(
            "rebind.example.com",
            &addresses(&["169.254.169.254"]),
            &none,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "rebind.example.com resolves to an address a webhook may not reach: 169.254.169.254 is a link-local address (where cloud metadata services such as 169.254.169.254 answer), not in the allowed networks ([webhooks] allowed_networks)"
        );
        // One forbidden address among public ones refuses the name.
        assert!(
            check_resolved(
                "mixed.example.com",
                &addresses(&["93.184.216.34", "10.0.0.7"]),
                &none
            )
            .is_err()
        );
        assert!(check_resolved("localhost", &addresses(&["::ffff:127.0.0.1"]), &none).is_err());
        let allowed = AllowedNetworks::parse(&["10.0.0.0/8"]).unwrap();
        assert!(
            check_resolved(
                "mixed.example.com",
                &addresses(&["93.184.216.34", "10.0.0.7"]),
                &allowed
            )
            .is_ok()
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_localhost_without_an_allowance() {
        use reqwest::dns::Resolve;
        let resolver = CheckedResolver {
            allowed: AllowedNetworks::none(),
        };
        let error = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost resolved"),
            Err(error) => error,
        };
        let refused = error.downcast_ref::<AddressRefused>().unwrap();
        assert_eq!(refused.host, "localhost");
        let allowed = CheckedResolver {
            allowed: AllowedNetworks::parse(&["127.0.0.0/8", "::1/128"]).unwrap(),
        };
        let resolved: Vec<SocketAddr> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!resolved.is_empty());
        assert!(resolved.iter().all(|address| address.ip().is_loopback()));
    }

    /// A receiver on a loopback port that answers 200 to one request.
    async fn one_answer() -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        });
        port
    }

    #[tokio::test]
    async fn the_client_connects_only_through_the_checked_resolver() {
        let port = one_answer().await;
        let url = format!("http://localhost:{port}/hook");
        // No allowance: the name's addresses are refused before connecting,
        // and the refusal is found in the error.
        let strict = client(&AllowedNetworks::none(), Duration::from_secs(5)).unwrap();
        let error = strict.post(&url).send().await.unwrap_err();
        let refused = source_of::<AddressRefused>(&error).expect("refused by the resolver");
        assert_eq!(refused.host, "localhost");
        assert!(refused.refusal.address.is_loopback());
        // Allowed: the same name reaches the receiver.
        let allowing = client(
            &AllowedNetworks::parse(&["127.0.0.0/8", "::1/128"]).unwrap(),
            Duration::from_secs(5),
        )
        .unwrap();
        let answer = allowing.post(&url).send().await.unwrap();
        assert_eq!(answer.status(), 200);
    }
}
