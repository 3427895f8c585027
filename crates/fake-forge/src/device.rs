//! The OAuth device flow: codes, polls (`authorization_pending`, `slow_down`,
//! `access_denied`, `expired_token`) and the test's approval.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::core::{Failure, Inner, Outcome, State, User};

/// How long a device code lives (GitHub: 15 minutes).
const DEVICE_EXPIRES_IN: u64 = 900;

#[derive(Debug, Clone, PartialEq)]
pub enum DeviceState {
    Pending,
    Approved(String),
    Denied,
    /// The token was handed out; the code is spent.
    Used,
}

#[derive(Debug)]
pub struct Device {
    device_code: String,
    user_code: String,
    scope: String,
    created: Instant,
    expired: bool,
    interval: u64,
    last_poll: Option<Instant>,
    state: DeviceState,
}

impl Inner {
    pub fn device_code(&self, client_id: Option<&str>, scope: &str) -> Outcome<Value> {
        if client_id.is_none_or(str::is_empty) {
            return Err(Failure {
                status: 401,
                body: json!({"error": "incorrect_client_credentials", "error_description": "client_id is required."}),
                headers: Vec::new(),
            });
        }
        let device_code = uuid::Uuid::new_v4().simple().to_string();
        let user_code = user_code();
        let mut st = self.st();
        let interval = st.device_interval;
        st.devices.push(Device {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            scope: scope.to_string(),
            created: Instant::now(),
            expired: false,
            interval,
            last_poll: None,
            state: DeviceState::Pending,
        });
        Ok(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("{}/login/device", self.url),
            "expires_in": DEVICE_EXPIRES_IN,
            "interval": interval,
        }))
    }

    /// `POST /login/oauth/access_token`: always 200, the flow state in `error`.
    pub fn access_token(
        &self,
        client_id: Option<&str>,
        device_code: Option<&str>,
        grant_type: Option<&str>,
    ) -> Value {
        let error = |e: &str, d: &str| json!({"error": e, "error_description": d});
        if client_id.is_none_or(str::is_empty) {
            return error("incorrect_client_credentials", "client_id is required.");
        }
        if grant_type != Some("urn:ietf:params:oauth:grant-type:device_code") {
            return error(
                "unsupported_grant_type",
                "grant_type must be urn:ietf:params:oauth:grant-type:device_code.",
            );
        }
        let mut st = self.st();
        let enforce = st.device_enforce;
        let Some(d) = st
            .devices
            .iter_mut()
            .find(|d| Some(d.device_code.as_str()) == device_code)
        else {
            return error(
                "incorrect_device_code",
                "The device_code provided is not valid.",
            );
        };
        let now = Instant::now();
        if d.expired || now.duration_since(d.created) > Duration::from_secs(DEVICE_EXPIRES_IN) {
            return error("expired_token", "The device code has expired.");
        }
        let too_fast = d
            .last_poll
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(d.interval));
        d.last_poll = Some(now);
        if enforce && too_fast {
            d.interval += 5;
            let mut v = error(
                "slow_down",
                "Too many requests have been made in the same timeframe.",
            );
            v["interval"] = json!(d.interval);
            return v;
        }
        match d.state.clone() {
            DeviceState::Pending => error(
                "authorization_pending",
                "The authorization request is still pending.",
            ),
            DeviceState::Denied => error("access_denied", "The authorization request was denied."),
            DeviceState::Used => error("expired_token", "The device code has already been used."),
            DeviceState::Approved(token) => {
                d.state = DeviceState::Used;
                json!({"access_token": token, "token_type": "bearer", "scope": d.scope})
            }
        }
    }

    /// Approves the device code shown to the user as `user_code` for `login` (a token is made
    /// for the login if it has none). False when no such pending code exists.
    pub fn approve_device(&self, user_code: &str, login: &str) -> bool {
        let mut st = self.st();
        let token = match st.tokens.iter().find(|(_, l)| l.as_str() == login) {
            Some((t, _)) => t.clone(),
            None => {
                let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
                st.tokens.insert(token.clone(), login.to_string());
                if !st.users.contains_key(login) {
                    let id = st.id();
                    st.users.insert(login.to_string(), User { id, name: None });
                }
                token
            }
        };
        st.set_device(user_code, DeviceState::Approved(token))
    }

    pub fn deny_device(&self, user_code: &str) -> bool {
        self.st().set_device(user_code, DeviceState::Denied)
    }

    pub fn expire_device(&self, user_code: &str) -> bool {
        let mut st = self.st();
        match st
            .devices
            .iter_mut()
            .find(|d| d.user_code.eq_ignore_ascii_case(user_code))
        {
            Some(d) => {
                d.expired = true;
                true
            }
            None => false,
        }
    }

    /// Advertise `secs` as the polling interval and answer `slow_down` to faster polls.
    pub fn set_device_interval(&self, secs: u64) {
        let mut st = self.st();
        st.device_interval = secs;
        st.device_enforce = true;
    }
}

impl State {
    pub fn set_device(&mut self, user_code: &str, state: DeviceState) -> bool {
        match self.devices.iter_mut().find(|d| {
            d.user_code.eq_ignore_ascii_case(user_code.trim()) && d.state == DeviceState::Pending
        }) {
            Some(d) => {
                d.state = state;
                true
            }
            None => false,
        }
    }
}

/// `ABCD-1234`: four consonants, four digits.
fn user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let letters: String = bytes[..4]
        .iter()
        .map(|b| LETTERS[usize::from(*b) % LETTERS.len()] as char)
        .collect();
    let digits: String = bytes[4..8]
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    format!("{letters}-{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_look_like_githubs() {
        let code = user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert!(code[..4].chars().all(|c| c.is_ascii_uppercase()));
        assert!(code[5..].chars().all(|c| c.is_ascii_digit()));
    }
}
