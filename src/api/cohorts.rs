//! The wire contract of Permutive's Cohorts API v2 (`/cohorts-api/v2/cohorts`), shared by the
//! emulator that serves it and the `workspace` commands that call it.
//!
//! Field names: the OpenAPI document's schemas say camelCase (`segmentType`, `createdAt`) while
//! every one of its examples — and its error envelope, like the segmentation API's — says
//! snake_case (`segment_type`, `created_at`, `request_id`). The examples are what the service's
//! encoder wrote, so snake_case is sent and served; camelCase is accepted when reading.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET` lists, `POST` creates; `/{id}` with `GET`, `PATCH`, `DELETE` for one cohort.
pub const COHORTS_PATH: &str = "/cohorts-api/v2/cohorts";

/// A cohort's code: an integer in the Cohorts API; a workspace file may also use a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CohortCode {
    Number(u64),
    Text(String),
}

impl CohortCode {
    /// The code as the segmentation API writes it in `state.cohorts` (a string).
    pub fn key(&self) -> String {
        self.to_string()
    }

    pub fn number(&self) -> Option<u64> {
        match self {
            CohortCode::Number(n) => Some(*n),
            CohortCode::Text(t) => t.parse().ok(),
        }
    }
}

impl fmt::Display for CohortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CohortCode::Number(n) => write!(f, "{n}"),
            CohortCode::Text(t) => f.write_str(t),
        }
    }
}

impl Ord for CohortCode {
    /// Numbers by value, then text codes alphabetically.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.number(), other.number()) {
            (Some(a), Some(b)) => a.cmp(&b).then_with(|| self.key().cmp(&other.key())),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.key().cmp(&other.key()),
        }
    }
}

impl PartialOrd for CohortCode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A cohort as the API returns it: in summary form from the list (no `query`), in full from
/// `GET /{id}`, `POST` and `PATCH`. Lookalike cohorts have no query even in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteCohort {
    pub id: String,
    pub code: CohortCode,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `Enabled` or `Disabled`.
    pub state: String,
    #[serde(
        default,
        alias = "workspaceId",
        skip_serializing_if = "Option::is_none"
    )]
    pub workspace_id: Option<String>,
    /// `real_time` in the document's examples; kept as whatever the service sends.
    #[serde(
        default,
        alias = "segmentType",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_type: Option<Value>,
    #[serde(
        default,
        alias = "liveAudienceSize",
        skip_serializing_if = "Option::is_none"
    )]
    pub live_audience_size: Option<u64>,
    #[serde(default, alias = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(
        default,
        alias = "lastUpdatedAt",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_at: Option<String>,
}

/// `POST` body (`CreateSegmentV2`): `name` and `query` are required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCohort {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub query: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(
        default,
        alias = "segmentType",
        skip_serializing_if = "Option::is_none"
    )]
    pub segment_type: Option<Value>,
}

/// `PATCH` body (`UpdateSegmentV2`): absent fields stay as they are; `description: null`
/// deletes the description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCohort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `None`: unchanged; `Some(None)`: delete; `Some(Some(text))`: set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl UpdateCohort {
    pub fn is_empty(&self) -> bool {
        *self == UpdateCohort::default()
    }

    /// The fields it changes, by name (for what `push` prints).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.name.is_some() {
            fields.push("name");
        }
        if self.description.is_some() {
            fields.push("description");
        }
        if self.query.is_some() {
            fields.push("query");
        }
        if self.tags.is_some() {
            fields.push("tags");
        }
        if self.state.is_some() {
            fields.push("state");
        }
        fields
    }
}

/// Present-and-null versus absent for `description` in a PATCH body.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Option<String>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_sort_numbers_by_value_then_text() {
        let mut codes = [
            CohortCode::Text("b".into()),
            CohortCode::Number(1010),
            CohortCode::Text("999".into()),
            CohortCode::Number(2),
        ];
        codes.sort();
        let shown: Vec<String> = codes.iter().map(CohortCode::key).collect();
        assert_eq!(shown, ["2", "999", "1010", "b"]);
    }

    #[test]
    fn patch_tells_null_from_absent() {
        let absent: UpdateCohort = serde_json::from_str(r#"{"name": "x"}"#).unwrap();
        assert_eq!(absent.description, None);
        let null: UpdateCohort = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(null.description, Some(None));
        assert_eq!(
            serde_json::to_string(&null).unwrap(),
            r#"{"description":null}"#
        );
        assert!(serde_json::from_str::<UpdateCohort>(r#"{"code": 5}"#).is_err());
    }

    #[test]
    fn reads_the_documented_examples_in_either_case() {
        let snake: RemoteCohort = serde_json::from_str(
            r#"{"id": "38470a62-9837-4c86-bbf3-45dd6d52dd83", "code": 12345, "name": "A",
                "tags": ["tag_a"], "state": "Enabled", "segment_type": "real_time",
                "workspace_id": "w", "created_at": "2022-09-22T15:44:29.513211710Z",
                "last_updated_at": "2022-09-22T15:44:29.513214670Z"}"#,
        )
        .unwrap();
        let camel: RemoteCohort = serde_json::from_str(
            r#"{"id": "38470a62-9837-4c86-bbf3-45dd6d52dd83", "code": 12345, "name": "A",
                "tags": ["tag_a"], "state": "Enabled", "segmentType": "real_time",
                "workspaceId": "w", "createdAt": "2022-09-22T15:44:29.513211710Z",
                "lastUpdatedAt": "2022-09-22T15:44:29.513214670Z"}"#,
        )
        .unwrap();
        assert_eq!(snake, camel);
        assert_eq!(snake.code, CohortCode::Number(12345));
    }
}
