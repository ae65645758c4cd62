//! The engine's state as bytes, so a restart reads one file instead of
//! re-deriving every column from the store (the start-up load of 12 million
//! activities goes from seconds of JSON parsing to one sequential read). Pure:
//! the application layer writes and reads the file, with the change-log
//! position the state reflects, and follows the log from there.

use serde::{Deserialize, Serialize};

use super::PortfolioState;

/// Bumped whenever the engine's state changes shape: a checkpoint of another
/// format is ignored (the engine is loaded from the store instead).
pub const FORMAT: u32 = 3;

#[derive(Debug, thiserror::Error)]
#[error("the engine checkpoint cannot be {action}: {reason}")]
pub struct CheckpointError {
    action: &'static str,
    reason: String,
}

/// What a checkpoint says about itself, before the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT`] when it was written.
    pub format: u32,
    /// The identity of the store the state was loaded from.
    pub store: String,
    /// The change-log position the state reflects.
    pub cursor: u64,
    /// The highest activity sequence number in the state.
    pub activity_high_water: i64,
}

const MAGIC: &[u8] = b"RAPPORT ENGINE CHECKPOINT\n";

fn failed(action: &'static str, error: impl ToString) -> CheckpointError {
    CheckpointError {
        action,
        reason: error.to_string(),
    }
}

/// The header and the state in postcard's compact binary encoding.
pub fn encode(header: &Header, state: &PortfolioState) -> Result<Vec<u8>, CheckpointError> {
    let mut bytes = Vec::new();
    write(header, state, &mut bytes)?;
    Ok(bytes)
}

/// [`encode`], streamed into `writer` (a file, without holding the whole
/// encoding in memory).
pub fn write(
    header: &Header,
    state: &PortfolioState,
    mut writer: impl std::io::Write,
) -> Result<(), CheckpointError> {
    writer
        .write_all(MAGIC)
        .map_err(|error| failed("written", error))?;
    postcard::to_io(header, &mut writer).map_err(|error| failed("written", error))?;
    postcard::to_io(state, &mut writer).map_err(|error| failed("written", error))?;
    writer.flush().map_err(|error| failed("written", error))
}

/// The header alone (cheap: whether the state is worth reading).
pub fn header(bytes: &[u8]) -> Result<Header, CheckpointError> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| failed("read", "not an engine checkpoint"))?;
    let (header, _) =
        postcard::take_from_bytes::<Header>(rest).map_err(|error| failed("read", error))?;
    Ok(header)
}

/// The header and the state [`encode`] wrote; a checkpoint of another
/// [`FORMAT`] is refused.
pub fn decode(bytes: &[u8]) -> Result<(Header, PortfolioState), CheckpointError> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| failed("read", "not an engine checkpoint"))?;
    let (header, rest) =
        postcard::take_from_bytes::<Header>(rest).map_err(|error| failed("read", error))?;
    if header.format != FORMAT {
        return Err(failed(
            "read",
            format!("format {} (this build reads {FORMAT})", header.format),
        ));
    }
    let state = postcard::from_bytes(rest).map_err(|error| failed("read", error))?;
    Ok((header, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Window;
    use crate::engine::facts::factor_facts;
    use crate::{Activity, Period, Timestamp};

    #[test]
    fn a_decoded_checkpoint_scores_exactly_as_the_state_it_was_taken_of() {
        let mut state = PortfolioState::new();
        let account: crate::Account = serde_json::from_value(serde_json::json!({
            "external_id": "a1", "name": "A", "tier": "growth", "arr": 1000.0, "seats": 5,
            "csm": "Dana", "status": "active", "contract_start": null, "renewal_date": null,
            "industry": "Software", "manager": null, "at_risk_override": false
        }))
        .unwrap();
        state.upsert_account(account);
        for (index, json) in [
            r#"{"type":"login","user":"u1"}"#,
            r#"{"type":"email","direction":"inbound","thread":"t1","from":"x@a.com","to":["y@us.com"],"subject":"Hi"}"#,
            r#"{"type":"feature_used","user":"u1","feature":"reports"}"#,
        ]
        .iter()
        .enumerate()
        {
            let detail = serde_json::from_str(json).unwrap();
            state.add_activity(&Activity {
                source_id: Some(format!("s{index}")),
                account: crate::ExternalId::parse("a1").unwrap(),
                at: Timestamp::parse_rfc3339("2026-01-10T10:00:00Z").unwrap(),
                detail,
            });
        }
        let header = Header {
            format: FORMAT,
            store: "store-1".into(),
            cursor: 7,
            activity_high_water: 3,
        };
        let bytes = encode(&header, &state).unwrap();
        assert_eq!(super::header(&bytes).unwrap(), header);
        let (read, decoded) = decode(&bytes).unwrap();
        assert_eq!(read, header);
        let window = Window::new(
            Timestamp::parse_rfc3339("2026-01-31T00:00:00Z").unwrap(),
            Period::DEFAULT,
        );
        let before = factor_facts(&state, state.account("a1").unwrap(), window);
        let after = factor_facts(&decoded, decoded.account("a1").unwrap(), window);
        assert_eq!(format!("{before:?}"), format!("{after:?}"));
        assert_eq!(decoded.revision(), state.revision());
        assert!(decode(&[1, 2, 3]).is_err());
    }
}
