//! The REST reads and writes on repositories: users and their repositories as JSON, branches,
//! pull requests (mergeability with `git merge-tree`, merges built with plumbing), check runs.

use serde_json::{json, Value};

use forge::MergeMethod;

use crate::core::{pull_event, Failure, Inner, Outcome, PullState, RefChange, RepoState, User};
use crate::git::{Signature, ZERO_SHA};
use crate::render;

impl Inner {
    pub fn user_json(&self, login: &str) -> Value {
        let st = self.st();
        let user = st
            .users
            .get(login)
            .cloned()
            .unwrap_or(User { id: 0, name: None });
        render::user(&self.url, login, user.id, user.name.as_deref())
    }

    pub fn repo_json(&self, owner: &str, name: &str, caller: Option<&str>) -> Outcome<Value> {
        let st = self.st();
        let repo = st.visible(owner, name, caller)?;
        Ok(render::repo(&self.url, repo, caller))
    }

    pub fn user_repos(&self, login: &str, page: usize, per_page: usize) -> Value {
        let st = self.st();
        let mut repos: Vec<&RepoState> = st.repos.values().filter(|r| r.can_write(login)).collect();
        repos.sort_by_key(|r| std::cmp::Reverse(r.updated_seq));
        let per_page = per_page.clamp(1, 100);
        let list: Vec<Value> = repos
            .into_iter()
            .skip(page.saturating_sub(1) * per_page)
            .take(per_page)
            .map(|r| render::repo(&self.url, r, Some(login)))
            .collect();
        Value::Array(list)
    }

    pub fn branches(&self, owner: &str, name: &str, caller: Option<&str>) -> Outcome<Value> {
        self.st().visible(owner, name, caller)?;
        let branches = self
            .bare(owner, name)
            .branches()
            .map_err(Failure::internal)?;
        Ok(Value::Array(
            branches
                .into_iter()
                .map(|(b, sha)| {
                    json!({
                        "name": b,
                        "commit": {"sha": sha, "url": format!("{}/repos/{owner}/{name}/commits/{sha}", self.url)},
                        "protected": false,
                    })
                })
                .collect(),
        ))
    }

    pub fn branch(
        &self,
        owner: &str,
        name: &str,
        branch: &str,
        caller: Option<&str>,
    ) -> Outcome<Value> {
        self.st().visible(owner, name, caller)?;
        let sha = self
            .bare(owner, name)
            .branch(branch)
            .ok_or_else(|| Failure::new(404, "Branch not found"))?;
        Ok(json!({"name": branch, "commit": {"sha": sha}, "protected": false}))
    }

    /// A pull request as JSON, its shas refreshed and `mergeable` computed when open.
    pub fn pull_json(&self, owner: &str, name: &str, number: u64) -> Outcome<Value> {
        let (repo, mut pull) = {
            let st = self.st();
            let repo = st.repo(owner, name).ok_or_else(Failure::not_found)?;
            let pull = repo
                .pulls
                .iter()
                .find(|p| p.number == number)
                .cloned()
                .ok_or_else(Failure::not_found)?;
            (repo.clone(), pull)
        };
        let mergeable = if pull.state == "open" {
            let bare = self.bare(owner, name);
            let head = bare.branch(&pull.head_ref);
            let base = bare.branch(&pull.base_ref);
            if let Some(h) = &head {
                pull.head_sha = h.clone();
            }
            if let Some(b) = &base {
                pull.base_sha = b.clone();
            }
            let mut st = self.st();
            if let Some(p) = st
                .repo_mut(owner, name)
                .and_then(|r| r.pulls.iter_mut().find(|p| p.number == number))
            {
                p.head_sha = pull.head_sha.clone();
                p.base_sha = pull.base_sha.clone();
            }
            drop(st);
            match (base, head) {
                (Some(b), Some(h)) => Some(matches!(bare.merge_tree(None, &b, &h), Ok(Some(_)))),
                _ => None,
            }
        } else {
            None
        };
        Ok(render::pull(&self.url, &repo, &pull, mergeable))
    }

    pub fn get_pull(
        &self,
        owner: &str,
        name: &str,
        number: u64,
        caller: Option<&str>,
    ) -> Outcome<Value> {
        self.st().visible(owner, name, caller)?;
        self.pull_json(owner, name, number)
    }

    pub fn pulls_json(
        &self,
        owner: &str,
        name: &str,
        caller: Option<&str>,
        state: &str,
        head: Option<&str>,
        base: Option<&str>,
    ) -> Outcome<Value> {
        let repo = self.st().visible(owner, name, caller)?.clone();
        let head = head.map(|h| h.split_once(':').map_or(h, |(_, b)| b));
        let list = repo
            .pulls
            .iter()
            .rev()
            .filter(|p| state == "all" || p.state == state)
            .filter(|p| head.is_none_or(|h| p.head_ref == h))
            .filter(|p| base.is_none_or(|b| p.base_ref == b))
            .map(|p| render::pull(&self.url, &repo, p, None))
            .collect();
        Ok(Value::Array(list))
    }

    /// Pull requests in our flat type (for [`FakeForge::pulls`](crate::FakeForge::pulls)).
    pub fn pulls(&self, owner: &str, name: &str) -> Vec<forge::Pull> {
        let numbers: Vec<u64> = self
            .st()
            .repo(owner, name)
            .map(|r| r.pulls.iter().map(|p| p.number).collect())
            .unwrap_or_default();
        numbers
            .into_iter()
            .filter_map(|n| self.pull_json(owner, name, n).ok())
            .filter_map(|v| parse_pull(&v))
            .collect()
    }

    pub fn writable(&self, owner: &str, name: &str, caller: Option<&str>) -> Outcome<String> {
        let login = caller.ok_or_else(Failure::unauthenticated)?;
        let st = self.st();
        let repo = st.visible(owner, name, Some(login))?;
        if !repo.can_write(login) {
            return Err(Failure::no_write());
        }
        Ok(login.to_string())
    }

    pub fn create_pull(
        &self,
        owner: &str,
        name: &str,
        caller: Option<&str>,
        body: &Value,
    ) -> Outcome<Value> {
        let login = self.writable(owner, name, caller)?;
        let field = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let title = field("title")
            .ok_or_else(|| {
                Failure::validation(Some("title"), "missing_field", "title is required")
            })?
            .to_string();
        let base_ref = field("base")
            .ok_or_else(|| Failure::validation(Some("base"), "missing_field", "base is required"))?
            .to_string();
        let head_spec = field("head").ok_or_else(|| {
            Failure::validation(Some("head"), "missing_field", "head is required")
        })?;
        let head_ref = match head_spec.split_once(':') {
            Some((o, b)) if o == owner => b.to_string(),
            Some(_) => {
                return Err(Failure::validation(
                    Some("head"),
                    "invalid",
                    format!(
                    "head {head_spec} is not a branch of {owner}/{name} (forks are not supported)"
                ),
                ))
            }
            None => head_spec.to_string(),
        };
        let bare = self.bare(owner, name);
        let _git = self.git_guard();
        let base_sha = bare.branch(&base_ref).ok_or_else(|| {
            Failure::validation(
                Some("base"),
                "invalid",
                format!("base branch {base_ref} does not exist"),
            )
        })?;
        let head_sha = bare.branch(&head_ref).ok_or_else(|| {
            Failure::validation(
                Some("head"),
                "invalid",
                format!("head branch {head_ref} does not exist"),
            )
        })?;
        if !bare.has_merge_base(&base_sha, &head_sha) {
            return Err(Failure::validation(
                None,
                "custom",
                format!("The {head_ref} branch has no history in common with {base_ref}"),
            ));
        }
        if !bare
            .is_ahead(&base_sha, &head_sha)
            .map_err(Failure::internal)?
        {
            return Err(Failure::validation(
                None,
                "custom",
                format!("No commits between {base_ref} and {head_ref}"),
            ));
        }
        let number = {
            let mut st = self.st();
            let (id, now) = (st.id(), render::now());
            let repo = st.repo_mut(owner, name).ok_or_else(Failure::not_found)?;
            if repo
                .pulls
                .iter()
                .any(|p| p.state == "open" && p.head_ref == head_ref && p.base_ref == base_ref)
            {
                return Err(Failure::validation(
                    None,
                    "custom",
                    format!("A pull request already exists for {owner}:{head_ref}."),
                ));
            }
            let number = repo.pulls.len() as u64 + 1;
            repo.pulls.push(PullState {
                id,
                number,
                title,
                body: body.get("body").and_then(Value::as_str).map(str::to_string),
                state: "open".into(),
                draft: body.get("draft").and_then(Value::as_bool).unwrap_or(false),
                merged: false,
                merged_at: None,
                merged_by: None,
                merge_commit_sha: None,
                head_ref,
                head_sha,
                base_ref,
                base_sha,
                user: login.clone(),
                created_at: now.clone(),
                updated_at: now,
                closed_at: None,
            });
            number
        };
        self.pull_event_by_number(owner, name, number, "opened", &login);
        self.pull_json(owner, name, number)
    }

    pub fn pull_event_by_number(
        &self,
        owner: &str,
        name: &str,
        number: u64,
        action: &str,
        sender: &str,
    ) {
        let payload = {
            let st = self.st();
            let Some(repo) = st.repo(owner, name) else {
                return;
            };
            let Some(p) = repo.pulls.iter().find(|p| p.number == number) else {
                return;
            };
            pull_event(&self.url, repo, p, action, sender)
        };
        self.send_hooks(vec![("pull_request", payload)]);
    }

    pub fn update_pull(
        &self,
        owner: &str,
        name: &str,
        number: u64,
        caller: Option<&str>,
        body: &Value,
    ) -> Outcome<Value> {
        let login = self.writable(owner, name, caller)?;
        let action = {
            let mut st = self.st();
            let repo = st.repo_mut(owner, name).ok_or_else(Failure::not_found)?;
            let other_open: Vec<(String, String, u64)> = repo
                .pulls
                .iter()
                .filter(|p| p.state == "open")
                .map(|p| (p.head_ref.clone(), p.base_ref.clone(), p.number))
                .collect();
            let p = repo
                .pulls
                .iter_mut()
                .find(|p| p.number == number)
                .ok_or_else(Failure::not_found)?;
            let now = render::now();
            let mut action = None;
            match body.get("state").and_then(Value::as_str) {
                None => {}
                Some(s) if s == p.state => {}
                Some("closed") => {
                    p.state = "closed".into();
                    p.closed_at = Some(now.clone());
                    action = Some("closed");
                }
                Some("open") if p.merged => {
                    return Err(Failure::validation(
                        Some("state"),
                        "invalid",
                        "state cannot be changed. The pull request is already merged.",
                    ));
                }
                Some("open") => {
                    if other_open
                        .iter()
                        .any(|(h, b, n)| *h == p.head_ref && *b == p.base_ref && *n != number)
                    {
                        return Err(Failure::validation(
                            None,
                            "custom",
                            format!("A pull request already exists for {owner}:{}.", p.head_ref),
                        ));
                    }
                    p.state = "open".into();
                    p.closed_at = None;
                    action = Some("reopened");
                }
                Some(other) => {
                    return Err(Failure::validation(
                        Some("state"),
                        "invalid",
                        format!("state must be open or closed, not {other}"),
                    ));
                }
            }
            if let Some(t) = body.get("title").and_then(Value::as_str) {
                p.title = t.to_string();
                action = action.or(Some("edited"));
            }
            if let Some(b) = body.get("body") {
                p.body = b.as_str().map(str::to_string);
                action = action.or(Some("edited"));
            }
            p.updated_at = now;
            action
        };
        if let Some(action) = action {
            self.pull_event_by_number(owner, name, number, action, &login);
        }
        self.pull_json(owner, name, number)
    }

    pub fn pull_merged(
        &self,
        owner: &str,
        name: &str,
        number: u64,
        caller: Option<&str>,
    ) -> Outcome<()> {
        let st = self.st();
        let repo = st.visible(owner, name, caller)?;
        match repo.pulls.iter().find(|p| p.number == number) {
            Some(p) if p.merged => Ok(()),
            _ => Err(Failure::not_found()),
        }
    }

    pub fn merge_pull(
        &self,
        owner: &str,
        name: &str,
        number: u64,
        caller: Option<&str>,
        body: &Value,
    ) -> Outcome<Value> {
        let login = self.writable(owner, name, caller)?;
        let method = match body.get("merge_method").and_then(Value::as_str) {
            None => MergeMethod::Merge,
            Some(m) => m
                .parse::<MergeMethod>()
                .map_err(|e| Failure::validation(Some("merge_method"), "invalid", e.to_string()))?,
        };
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let bare = self.bare(owner, name);
        let _git = self.git_guard();
        let pull = self
            .st()
            .repo(owner, name)
            .and_then(|r| r.pulls.iter().find(|p| p.number == number).cloned())
            .ok_or_else(Failure::not_found)?;
        if pull.state != "open" {
            return Err(Failure::new(405, "Pull Request is not mergeable"));
        }
        let head = bare
            .branch(&pull.head_ref)
            .ok_or_else(|| Failure::new(405, "Head branch does not exist"))?;
        if let Some(sha) = text("sha") {
            if sha != head {
                return Err(Failure::new(
                    409,
                    "Head branch was modified. Review and try the merge again.",
                ));
            }
        }
        let base = bare
            .branch(&pull.base_ref)
            .ok_or_else(|| Failure::new(405, "Base branch does not exist"))?;
        let not_mergeable = || Failure::new(405, "Pull Request is not mergeable");
        let tree = bare
            .merge_tree(None, &base, &head)
            .map_err(|_| not_mergeable())?
            .ok_or_else(not_mergeable)?;
        let author = Signature::user(&login);
        let committer = Signature::bot();
        let new = match method {
            MergeMethod::Merge => {
                let title = text("commit_title").unwrap_or_else(|| {
                    format!(
                        "Merge pull request #{number} from {owner}/{}",
                        pull.head_ref
                    )
                });
                let message = text("commit_message").unwrap_or_else(|| pull.title.clone());
                bare.commit_tree(
                    &tree,
                    &[&base, &head],
                    &join_message(&title, &message),
                    &author,
                    &committer,
                )
            }
            MergeMethod::Squash => {
                let title =
                    text("commit_title").unwrap_or_else(|| format!("{} (#{number})", pull.title));
                let message = match text("commit_message") {
                    Some(m) => m,
                    None => bare
                        .commits_between(&base, &head)
                        .map_err(Failure::internal)?
                        .iter()
                        .filter_map(|c| bare.subject(c).ok())
                        .map(|s| format!("* {s}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                bare.commit_tree(
                    &tree,
                    &[&base],
                    &join_message(&title, &message),
                    &author,
                    &committer,
                )
            }
            MergeMethod::Rebase => {
                let mut current = base.clone();
                for commit in bare
                    .commits_between(&base, &head)
                    .map_err(Failure::internal)?
                {
                    let info = bare.commit_info(&commit).map_err(Failure::internal)?;
                    let parent = bare.parent(&commit).ok_or_else(not_mergeable)?;
                    let tree = bare
                        .merge_tree(Some(&parent), &current, &commit)
                        .map_err(|_| not_mergeable())?
                        .ok_or_else(|| Failure::new(405, "This branch can't be rebased"))?;
                    current = bare
                        .commit_tree(&tree, &[&current], &info.message, &info.author, &committer)
                        .map_err(Failure::internal)?;
                }
                Ok(current)
            }
        }
        .map_err(Failure::internal)?;
        bare.update_ref(&format!("refs/heads/{}", pull.base_ref), &new, Some(&base))
            .map_err(|_| {
                Failure::new(
                    409,
                    "Base branch was modified. Review and try the merge again.",
                )
            })?;
        {
            let mut st = self.st();
            let now = render::now();
            if let Some(p) = st
                .repo_mut(owner, name)
                .and_then(|r| r.pulls.iter_mut().find(|p| p.number == number))
            {
                p.state = "closed".into();
                p.merged = true;
                p.merged_at = Some(now.clone());
                p.merged_by = Some(login.clone());
                p.closed_at = Some(now.clone());
                p.updated_at = now;
                p.merge_commit_sha = Some(new.clone());
                p.head_sha = head.clone();
                p.base_sha = base.clone();
            }
        }
        self.refs_changed(
            owner,
            name,
            &[RefChange {
                refname: format!("refs/heads/{}", pull.base_ref),
                before: base,
                after: new.clone(),
            }],
            Some(&login),
        );
        self.pull_event_by_number(owner, name, number, "closed", &login);
        Ok(json!({"sha": new, "merged": true, "message": "Pull Request successfully merged"}))
    }

    pub fn delete_branch(
        &self,
        owner: &str,
        name: &str,
        branch: &str,
        caller: Option<&str>,
    ) -> Outcome<()> {
        let login = self.writable(owner, name, caller)?;
        let bare = self.bare(owner, name);
        let change = {
            let _git = self.git_guard();
            let refname = format!("refs/heads/{branch}");
            let old = bare
                .branch(branch)
                .ok_or_else(|| Failure::new(422, "Reference does not exist"))?;
            bare.delete_ref(&refname, &old).map_err(Failure::internal)?;
            RefChange {
                refname,
                before: old,
                after: ZERO_SHA.to_string(),
            }
        };
        self.refs_changed(owner, name, &[change], Some(&login));
        Ok(())
    }

    pub fn check_runs(
        &self,
        owner: &str,
        name: &str,
        reference: &str,
        caller: Option<&str>,
        page: usize,
        per_page: usize,
    ) -> Outcome<Value> {
        let repo = self.st().visible(owner, name, caller)?.clone();
        let sha = if repo.checks.contains_key(reference) {
            reference.to_string()
        } else {
            self.bare(owner, name)
                .resolve(reference)
                .ok_or_else(|| Failure::new(422, format!("No commit found for SHA: {reference}")))?
        };
        let runs = repo.checks.get(&sha).cloned().unwrap_or_default();
        let per_page = per_page.clamp(1, 100);
        let page_runs: Vec<Value> = runs
            .iter()
            .skip(page.saturating_sub(1) * per_page)
            .take(per_page)
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "head_sha": sha,
                    "status": r.status,
                    "conclusion": r.conclusion,
                    "html_url": format!("{}/{owner}/{name}/runs/{}", self.url, r.id),
                    "app": {"slug": "fake-ci", "name": "Fake CI"},
                })
            })
            .collect();
        Ok(json!({"total_count": runs.len(), "check_runs": page_runs}))
    }
}

fn join_message(title: &str, message: &str) -> String {
    if message.trim().is_empty() {
        title.to_string()
    } else {
        format!("{title}\n\n{message}")
    }
}

fn parse_pull(v: &Value) -> Option<forge::Pull> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let side = |k: &str, f: &str| v.get(k)?.get(f)?.as_str().map(str::to_string);
    Some(forge::Pull {
        number: v.get("number")?.as_u64()?,
        state: s("state")?,
        merged: v.get("merged")?.as_bool()?,
        draft: v.get("draft")?.as_bool()?,
        title: s("title")?,
        body: s("body").unwrap_or_default(),
        html_url: s("html_url")?,
        head_ref: side("head", "ref")?,
        head_sha: side("head", "sha")?,
        base_ref: side("base", "ref")?,
        base_sha: side("base", "sha")?,
        mergeable: v.get("mergeable").and_then(Value::as_bool),
        mergeable_state: s("mergeable_state"),
        merge_commit_sha: s("merge_commit_sha"),
    })
}
