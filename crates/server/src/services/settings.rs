//! Settings: the registry's definitions with the stored values on top, and
//! `OVERWRITE_SETTING_<id>` from the environment on top of those. Reads come from memory.

use std::collections::HashMap;
use std::sync::RwLock;

use ferrochat_store::Store;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::registry::settings::{SETTINGS, SettingDef, SettingKind, find};

#[derive(Debug, Clone)]
pub struct SettingValue {
    pub def: &'static SettingDef,
    pub value: Value,
    pub updated_at: i64,
}

pub struct Settings {
    values: RwLock<HashMap<&'static str, SettingValue>>,
    /// Ids forced from the environment; they cannot be changed at runtime.
    forced: Vec<String>,
}

/// Parses a setting value given as text (environment) according to its kind.
pub fn parse_text(def: &SettingDef, text: &str) -> Option<Value> {
    match def.kind {
        SettingKind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(Value::Bool(true)),
            "false" | "0" | "no" => Some(Value::Bool(false)),
            _ => None,
        },
        SettingKind::Int => text.trim().parse::<i64>().ok().map(Value::from),
        SettingKind::MultiSelect => serde_json::from_str(text).ok(),
        _ => Some(Value::String(text.to_owned())),
    }
}

/// Checks a value against a setting's kind.
pub fn validate(def: &SettingDef, value: &Value) -> Result<()> {
    let ok = match def.kind {
        SettingKind::Boolean => value.is_boolean(),
        SettingKind::Int => value.is_i64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        SettingKind::MultiSelect => value.is_array(),
        SettingKind::Select => value
            .as_str()
            .is_some_and(|s| def.values.is_empty() || def.values.contains(&s)),
        SettingKind::Action => false,
        _ => value.is_string(),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::failure(
            "error-invalid-setting-value",
            format!("Invalid value for setting {}", def.id),
        ))
    }
}

impl Settings {
    /// `root_url` is the default of `Site_Url`, as Rocket.Chat takes it from `ROOT_URL`.
    pub async fn load(
        store: &Store,
        root_url: &str,
        overrides: &[(String, String)],
        boot_time: i64,
    ) -> Result<Self> {
        let mut values: HashMap<&'static str, SettingValue> = SETTINGS
            .iter()
            .map(|def| {
                let value = serde_json::from_str(def.default).unwrap_or(Value::Null);
                (
                    def.id,
                    SettingValue {
                        def,
                        value,
                        updated_at: boot_time,
                    },
                )
            })
            .collect();
        if let Some(site_url) = values.get_mut("Site_Url") {
            site_url.value = Value::String(root_url.to_owned());
        }
        // The workspace's own id (push notification ids derive from it), made once.
        let unique_id = store
            .meta_get_or_insert("uniqueID", &ferrochat_model::ids::random_id())
            .await?;
        if let Some(entry) = values.get_mut("uniqueID") {
            entry.value = Value::String(unique_id);
        }
        for (id, value, updated_at) in store.setting_values().await? {
            if let Some(entry) = find(&id).and_then(|def| values.get_mut(def.id)) {
                entry.value = value;
                entry.updated_at = updated_at;
            }
        }
        let mut forced = Vec::new();
        for (id, text) in overrides {
            match find(id) {
                Some(def) => match parse_text(def, text) {
                    Some(value) => {
                        if let Some(entry) = values.get_mut(def.id) {
                            entry.value = value;
                        }
                        forced.push(id.clone());
                    }
                    None => {
                        tracing::warn!(setting = %id, "OVERWRITE_SETTING value does not fit the setting's type; ignored")
                    }
                },
                None => {
                    tracing::warn!(setting = %id, "OVERWRITE_SETTING names an unknown setting; ignored")
                }
            }
        }
        Ok(Self {
            values: RwLock::new(values),
            forced,
        })
    }

    pub fn get(&self, id: &str) -> Option<SettingValue> {
        self.values.read().ok()?.get(id).cloned()
    }

    pub fn value(&self, id: &str) -> Value {
        self.get(id).map(|s| s.value).unwrap_or(Value::Null)
    }

    pub fn bool(&self, id: &str) -> bool {
        self.value(id).as_bool().unwrap_or(false)
    }

    pub fn int(&self, id: &str) -> i64 {
        let value = self.value(id);
        value
            .as_i64()
            .or_else(|| value.as_f64().map(|f| f as i64))
            .unwrap_or(0)
    }

    pub fn string(&self, id: &str) -> String {
        match self.value(id) {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// Every setting, sorted by id.
    pub fn all(&self) -> Vec<SettingValue> {
        let mut all: Vec<SettingValue> = self
            .values
            .read()
            .map(|v| v.values().cloned().collect())
            .unwrap_or_default();
        all.sort_by(|a, b| a.def.id.cmp(b.def.id));
        all
    }

    pub fn is_forced(&self, id: &str) -> bool {
        self.forced.iter().any(|f| f == id)
    }

    /// Re-reads one setting's stored value (another node changed it).
    pub async fn reload(&self, store: &Store, id: &str) -> Result<()> {
        if self.is_forced(id) {
            return Ok(());
        }
        let stored = store
            .setting_values()
            .await?
            .into_iter()
            .find(|(stored_id, _, _)| stored_id == id);
        if let (Some((_, value, updated_at)), Ok(mut values)) = (stored, self.values.write())
            && let Some(entry) = values.get_mut(id)
        {
            entry.value = value;
            entry.updated_at = updated_at;
        }
        Ok(())
    }

    /// Re-reads every stored value.
    pub async fn reload_all(&self, store: &Store) -> Result<()> {
        let stored = store.setting_values().await?;
        if let Ok(mut values) = self.values.write() {
            for (id, value, updated_at) in stored {
                if self.forced.contains(&id) {
                    continue;
                }
                if let Some(entry) = values.get_mut(id.as_str()) {
                    entry.value = value;
                    entry.updated_at = updated_at;
                }
            }
        }
        Ok(())
    }

    /// Validates, persists and applies a new value.
    pub async fn set(
        &self,
        store: &Store,
        id: &str,
        value: Value,
        now: i64,
    ) -> Result<SettingValue> {
        let def = find(id).ok_or_else(|| {
            Error::failure(
                "error-invalid-setting",
                format!("Setting {id} does not exist"),
            )
        })?;
        validate(def, &value)?;
        if self.is_forced(id) {
            return Err(Error::failure(
                "error-setting-blocked",
                format!("Setting {id} is set by the environment and cannot be changed"),
            ));
        }
        store.put_setting(def.id, &value, now).await?;
        let updated = SettingValue {
            def,
            value,
            updated_at: now,
        };
        if let Ok(mut values) = self.values.write() {
            values.insert(def.id, updated.clone());
        }
        Ok(updated)
    }
}
