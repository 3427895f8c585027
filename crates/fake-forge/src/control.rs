//! `/_fake/*`: the [`FakeForge`](crate::FakeForge) test controls over HTTP, for tests that run
//! the binary (browser end-to-end tests). Not authenticated, not recorded.
//!
//! | route | body | does |
//! |---|---|---|
//! | `GET /_fake/requests` | | the REST request log |
//! | `POST /_fake/users` | `{login, token, name?}` | `add_user` |
//! | `POST /_fake/repos` | `{owner, name, private?, default_branch?}` | `create_repo` |
//! | `POST /_fake/grant` | `{owner, name, login}` | `grant` |
//! | `POST /_fake/commit` | `{owner, name, branch, files: {path: content}, message?}` | `commit_files` → `{sha}` |
//! | `GET /_fake/pulls/{owner}/{name}` | | `pulls` |
//! | `POST /_fake/checks` | `{owner, name, sha, checks: [{name, status, conclusion?}]}` | `set_checks` |
//! | `POST /_fake/webhook` | `{url, secret}` | `set_webhook` |
//! | `POST /_fake/device/approve` | `{user_code, login}` | `approve_device` (404 if no such code) |
//! | `POST /_fake/device/deny` | `{user_code}` | `deny_device` |
//! | `POST /_fake/fault` | a [`Fault`](crate::Fault) or `null` | `set_fault` |

use axum::http::Method;
use serde_json::{json, Value};

use crate::core::{Failure, Inner};
use crate::rest::Reply;
use crate::Fault;

pub fn route(inner: &Inner, method: &Method, segs: &[&str], body: &Value) -> Reply {
    let s = |k: &str| body.get(k).and_then(Value::as_str);
    let need = |k: &str| s(k).ok_or_else(|| Failure::new(400, format!("{k} is required")));
    let result: Result<Reply, Failure> = (|| match (method.clone(), segs) {
        (Method::GET, ["requests"]) => Ok(Reply::Json(200, json!(inner.requests()))),
        (Method::POST, ["users"]) => {
            let login = need("login")?;
            inner.add_user(login, need("token")?);
            if let Some(name) = s("name") {
                inner.set_user_name(login, Some(name));
            }
            Ok(Reply::Empty(204))
        }
        (Method::POST, ["repos"]) => {
            let path = inner
                .create_repo(
                    need("owner")?,
                    need("name")?,
                    body.get("private")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    s("default_branch").unwrap_or("main"),
                )
                .map_err(|e| Failure::new(400, e))?;
            Ok(Reply::Json(201, json!({"path": path})))
        }
        (Method::POST, ["grant"]) => {
            inner
                .grant(need("owner")?, need("name")?, need("login")?)
                .map_err(|e| Failure::new(404, e))?;
            Ok(Reply::Empty(204))
        }
        (Method::POST, ["commit"]) => {
            let files: Vec<(String, String)> = body
                .get("files")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let files: Vec<(&str, &str)> = files
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let sha = inner
                .commit_files(
                    need("owner")?,
                    need("name")?,
                    need("branch")?,
                    &files,
                    s("message").unwrap_or("fake-forge commit"),
                )
                .map_err(|e| Failure::new(400, e))?;
            Ok(Reply::Json(200, json!({"sha": sha})))
        }
        (Method::GET, ["pulls", owner, name]) => {
            Ok(Reply::Json(200, json!(inner.pulls(owner, name))))
        }
        (Method::POST, ["checks"]) => {
            let checks = body
                .get("checks")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|c| {
                            let f = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
                            (
                                f("name").unwrap_or_default(),
                                f("status").unwrap_or_else(|| "completed".into()),
                                f("conclusion"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            inner
                .set_checks(need("owner")?, need("name")?, need("sha")?, checks)
                .map_err(|e| Failure::new(404, e))?;
            Ok(Reply::Empty(204))
        }
        (Method::POST, ["webhook"]) => {
            inner.set_webhook(need("url")?, s("secret").unwrap_or(""));
            Ok(Reply::Empty(204))
        }
        (Method::POST, ["device", "approve"]) => {
            if inner.approve_device(need("user_code")?, need("login")?) {
                Ok(Reply::Empty(204))
            } else {
                Err(Failure::new(
                    404,
                    "no pending device code with that user_code",
                ))
            }
        }
        (Method::POST, ["device", "deny"]) => {
            if inner.deny_device(need("user_code")?) {
                Ok(Reply::Empty(204))
            } else {
                Err(Failure::new(
                    404,
                    "no pending device code with that user_code",
                ))
            }
        }
        (Method::POST, ["fault"]) => {
            let fault: Option<Fault> = serde_json::from_value(body.clone())
                .map_err(|e| Failure::new(400, format!("not a fault: {e}")))?;
            inner.set_fault(fault);
            Ok(Reply::Empty(204))
        }
        _ => Err(Failure::new(404, "Not Found")),
    })();
    result.unwrap_or_else(Reply::Fail)
}
