//! Pagination and the deprecated Mongo-style `query` / `fields` / `sort` parameters
//! (`getPaginationItems` and `parseJsonQuery` in Rocket.Chat).

use ferrochat_store::filter::FieldMap;
use ferrochat_store::{Filter, Page, Sort};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::params::Params;
use crate::state::AppState;

#[derive(Debug, Clone, Default)]
pub struct Paging {
    pub offset: i64,
    /// `None` means "all" (`count=0` with `API_Allow_Infinite_Count`).
    pub count: Option<i64>,
    sort: Option<Value>,
    query: Option<Value>,
    fields: Option<Map<String, Value>>,
}

impl Paging {
    pub fn from_params(state: &AppState, params: &Params) -> Result<Self> {
        let offset = params.int("offset")?.unwrap_or(0).max(0);
        let default = state.settings.int("API_Default_Count").max(1);
        let upper = state.settings.int("API_Upper_Count_Limit").max(1);
        let count = match params.int("count")? {
            None => Some(default.min(upper)),
            Some(0) if state.settings.bool("API_Allow_Infinite_Count") => None,
            Some(n) if n <= 0 => Some(default.min(upper)),
            Some(n) => Some(n.min(upper)),
        };
        let fields = match params.json("fields")? {
            None => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                return Err(Error::failure(
                    "error-invalid-query",
                    "Invalid query parameter provided: fields must be an object",
                ));
            }
        };
        Ok(Self {
            offset,
            count,
            sort: params.json("sort")?,
            query: params.json("query")?,
            fields,
        })
    }

    /// The `fields` projection as given, for endpoints that project documents themselves.
    pub fn fields(&self) -> Option<&Map<String, Value>> {
        self.fields.as_ref()
    }

    pub fn page(&self) -> Page {
        Page {
            offset: self.offset,
            count: self.count,
        }
    }

    pub fn sort(&self, fields: FieldMap) -> Result<Sort> {
        match &self.sort {
            None => Ok(Sort::default()),
            Some(value) => Ok(Sort::from_mongo(value, fields)?),
        }
    }

    pub fn filter(&self, fields: FieldMap) -> Result<Filter> {
        match &self.query {
            None => Ok(Filter::default()),
            Some(value) => Ok(Filter::from_mongo(value, fields)?),
        }
    }

    /// Applies a `fields` projection to an outgoing document: `{"a": 1}` keeps `a` (and
    /// `_id`), `{"a": 0}` drops `a`. It only ever removes keys.
    pub fn project(&self, doc: Value) -> Value {
        let (Some(fields), Value::Object(mut map)) = (&self.fields, doc.clone()) else {
            return doc;
        };
        let include: Vec<&str> = fields
            .iter()
            .filter(|(_, v)| v.as_i64() == Some(1) || v.as_bool() == Some(true))
            .map(|(k, _)| k.as_str())
            .collect();
        if include.is_empty() {
            for (key, value) in fields {
                if value.as_i64() == Some(0) || value.as_bool() == Some(false) {
                    map.remove(key);
                }
            }
        } else {
            map.retain(|key, _| {
                key == "_id"
                    || include
                        .iter()
                        .any(|i| i == key || i.starts_with(&format!("{key}.")))
            });
        }
        Value::Object(map)
    }
}
