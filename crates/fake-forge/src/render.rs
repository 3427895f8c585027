//! GitHub's JSON shapes for the fake's state (the fields GitHub clients commonly read).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::core::{PullState, RepoState};

pub fn user(base: &str, login: &str, id: u64, name: Option<&str>) -> Value {
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_fake{id}"),
        "type": "User",
        "site_admin": false,
        "name": name,
        "html_url": format!("{base}/{login}"),
        "avatar_url": format!("{base}/{login}.png"),
        "url": format!("{base}/users/{login}"),
    })
}

fn owner(base: &str, login: &str) -> Value {
    json!({
        "login": login,
        "type": "User",
        "html_url": format!("{base}/{login}"),
        "url": format!("{base}/users/{login}"),
    })
}

pub fn repo(base: &str, r: &RepoState, viewer: Option<&str>) -> Value {
    let full_name = format!("{}/{}", r.owner, r.name);
    let write = viewer.is_some_and(|l| r.can_write(l));
    json!({
        "id": r.id,
        "node_id": format!("R_fake{}", r.id),
        "name": r.name,
        "full_name": full_name,
        "owner": owner(base, &r.owner),
        "private": r.private,
        "visibility": if r.private { "private" } else { "public" },
        "fork": false,
        "archived": false,
        "disabled": false,
        "description": r.description,
        "default_branch": r.default_branch,
        "html_url": format!("{base}/{full_name}"),
        "clone_url": format!("{base}/{full_name}.git"),
        "url": format!("{base}/repos/{full_name}"),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "pushed_at": r.updated_at,
        "permissions": {
            "admin": viewer == Some(r.owner.as_str()),
            "maintain": write,
            "push": write,
            "triage": write,
            "pull": true,
        },
    })
}

/// A pull request; `mergeable` is what the caller computed (GitHub sends `null` in webhooks).
pub fn pull(base: &str, r: &RepoState, p: &PullState, mergeable: Option<bool>) -> Value {
    let full_name = format!("{}/{}", r.owner, r.name);
    let mergeable_state = match (p.state.as_str(), mergeable) {
        ("open", Some(true)) => "clean",
        ("open", Some(false)) => "dirty",
        _ => "unknown",
    };
    let side = |ref_: &str, sha: &str| {
        json!({
            "label": format!("{}:{ref_}", r.owner),
            "ref": ref_,
            "sha": sha,
            "user": owner(base, &r.owner),
            "repo": repo(base, r, None),
        })
    };
    json!({
        "id": p.id,
        "node_id": format!("PR_fake{}", p.id),
        "number": p.number,
        "url": format!("{base}/repos/{full_name}/pulls/{}", p.number),
        "html_url": format!("{base}/{full_name}/pull/{}", p.number),
        "state": p.state,
        "locked": false,
        "title": p.title,
        "body": p.body,
        "user": owner(base, &p.user),
        "draft": p.draft,
        "merged": p.merged,
        "mergeable": mergeable,
        "mergeable_state": mergeable_state,
        "merge_commit_sha": p.merge_commit_sha,
        "merged_at": p.merged_at,
        "merged_by": p.merged_by.as_deref().map(|l| owner(base, l)),
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "closed_at": p.closed_at,
        "head": side(&p.head_ref, &p.head_sha),
        "base": side(&p.base_ref, &p.base_sha),
    })
}

/// `2024-05-01T12:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn now() -> String {
    rfc3339(SystemTime::now())
}

/// Howard Hinnant's days → (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_709_210_096)),
            "2024-02-29T12:34:56Z"
        );
    }
}
