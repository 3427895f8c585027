//! Proxy tokens and metered usage.
use sqlx::Row;

use crate::{now_rfc3339, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    pub day: String,
    pub sandbox_id: String,
    pub model: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_creation_tokens: i64,
    pub cache_read_tokens: i64,
}

/// Metered tokens of one sandbox, all days and models together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_creation_tokens: i64,
    pub cache_read_tokens: i64,
}

impl Store {
    pub async fn sandbox_usage(&self, sandbox: &str) -> Result<UsageTotals> {
        let r = sqlx::query(
            "SELECT COALESCE(SUM(requests),0) AS r, COALESCE(SUM(input_tokens),0) AS i, COALESCE(SUM(output_tokens),0) AS o, \
             COALESCE(SUM(cache_creation_tokens),0) AS cc, COALESCE(SUM(cache_read_tokens),0) AS cr FROM usage_daily WHERE sandbox_id = ?",
        )
        .bind(sandbox)
        .fetch_one(self.pool())
        .await?;
        Ok(UsageTotals {
            requests: r.try_get("r")?,
            input_tokens: r.try_get("i")?,
            output_tokens: r.try_get("o")?,
            cache_creation_tokens: r.try_get("cc")?,
            cache_read_tokens: r.try_get("cr")?,
        })
    }

    pub async fn set_sandbox_token(&self, sandbox: &str, hash: &str) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO sandbox_tokens (sandbox_id, token_hash, created_at, revoked_at) VALUES (?, ?, ?, NULL)")
            .bind(sandbox)
            .bind(hash)
            .bind(now_rfc3339())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn revoke_sandbox_token(&self, sandbox: &str) -> Result<()> {
        sqlx::query("UPDATE sandbox_tokens SET revoked_at = ? WHERE sandbox_id = ?")
            .bind(now_rfc3339())
            .bind(sandbox)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Live (not revoked) token hashes by sandbox.
    pub async fn live_sandbox_tokens(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT sandbox_id, token_hash FROM sandbox_tokens WHERE revoked_at IS NULL",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("sandbox_id")?, r.try_get("token_hash")?)))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_usage(
        &self,
        sandbox: &str,
        model: &str,
        input: u64,
        output: u64,
        cache_creation: u64,
        cache_read: u64,
    ) -> Result<()> {
        let day = &now_rfc3339()[..10];
        sqlx::query(
            "INSERT INTO usage_daily (day, sandbox_id, model, requests, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens) \
             VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (day, sandbox_id, model) DO UPDATE SET requests = requests + 1, \
             input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, \
             cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens",
        )
        .bind(day)
        .bind(sandbox)
        .bind(model)
        .bind(input as i64)
        .bind(output as i64)
        .bind(cache_creation as i64)
        .bind(cache_read as i64)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn usage(&self) -> Result<Vec<UsageRow>> {
        let rows = sqlx::query("SELECT * FROM usage_daily ORDER BY day DESC, sandbox_id, model")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UsageRow {
                    day: r.try_get("day")?,
                    sandbox_id: r.try_get("sandbox_id")?,
                    model: r.try_get("model")?,
                    requests: r.try_get("requests")?,
                    input_tokens: r.try_get("input_tokens")?,
                    output_tokens: r.try_get("output_tokens")?,
                    cache_creation_tokens: r.try_get("cache_creation_tokens")?,
                    cache_read_tokens: r.try_get("cache_read_tokens")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn usage_accumulates_per_day_sandbox_and_model() {
        let s = Store::in_memory().await.unwrap();
        s.add_usage("a", "m", 10, 5, 0, 1).await.unwrap();
        s.add_usage("a", "m", 1, 2, 3, 4).await.unwrap();
        s.add_usage("b", "m", 7, 7, 7, 7).await.unwrap();
        let rows = s.usage().await.unwrap();
        let a = rows.iter().find(|r| r.sandbox_id == "a").unwrap();
        assert_eq!(
            (
                a.requests,
                a.input_tokens,
                a.output_tokens,
                a.cache_creation_tokens,
                a.cache_read_tokens
            ),
            (2, 11, 7, 3, 5)
        );
        assert_eq!(rows.len(), 2);
    }

    #[tokio::test]
    async fn revoked_tokens_are_not_live() {
        let s = Store::in_memory().await.unwrap();
        s.set_sandbox_token("a", "h1").await.unwrap();
        s.set_sandbox_token("b", "h2").await.unwrap();
        s.revoke_sandbox_token("a").await.unwrap();
        assert_eq!(
            s.live_sandbox_tokens().await.unwrap(),
            vec![("b".to_string(), "h2".to_string())]
        );
    }
}
