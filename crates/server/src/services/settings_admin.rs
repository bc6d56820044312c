//! Reading and changing settings as a user: who may see which setting, who may change it
//! (`edit-privileged-setting`, or `manage-selected-settings` plus the setting's own
//! `change-setting-<id>` permission), and what a change sets off (audit entry, reload on every
//! node, announcement on the streams). REST `settings*` and the DDP `saveSetting(s)` /
//! `private-settings/get` methods both come here.

use std::net::IpAddr;

use ferrochat_model::User;
use ferrochat_model::time::now_ms;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::registry::settings::SETTINGS;
use crate::services::settings::SettingValue;
use crate::services::{audit, events, node_sync};
use crate::state::AppState;

/// Prefix of the per-setting permissions Rocket.Chat creates for every setting.
pub const PERMISSION_PREFIX: &str = "change-setting-";

pub fn permission_id(setting_id: &str) -> String {
    format!("{PERMISSION_PREFIX}{setting_id}")
}

/// The per-setting permission ids, seeded with no roles (an administrator hands them out to
/// roles that hold `manage-selected-settings`).
pub fn permission_ids() -> Vec<String> {
    SETTINGS.iter().map(|def| permission_id(def.id)).collect()
}

fn privileged_viewer(state: &AppState, user: &User) -> bool {
    state.authz.has_global(user, "view-privileged-setting")
}

/// Whether `user` may change setting `id`.
pub fn may_change(state: &AppState, user: &User, id: &str) -> bool {
    state.authz.has_global(user, "edit-privileged-setting")
        || (state.authz.has_global(user, "manage-selected-settings")
            && state.authz.has_global(user, &permission_id(id)))
}

/// Whether `user` may read setting `id`'s value: privileged viewers read everything, others
/// the public settings and those they were given to manage.
pub fn may_read(state: &AppState, user: &User, setting: &SettingValue) -> bool {
    if privileged_viewer(state, user) {
        return true;
    }
    setting.def.public || may_change(state, user, setting.def.id)
}

/// Every setting `user` may read, sorted by id.
pub fn readable(state: &AppState, user: &User) -> Vec<SettingValue> {
    state
        .settings
        .all()
        .into_iter()
        .filter(|s| may_read(state, user, s))
        .collect()
}

/// One setting by id (`GET settings/:_id`): for `view-privileged-setting` holders and those
/// who manage that setting, public or not, as in Rocket.Chat; 404 for an unknown id.
pub fn read_one(state: &AppState, user: &User, id: &str) -> Result<SettingValue> {
    let setting = state.settings.get(id);
    match setting {
        Some(s) if privileged_viewer(state, user) || may_change(state, user, id) => Ok(s),
        Some(_) => Err(Error::Forbidden),
        None if privileged_viewer(state, user) => Err(Error::not_found("Setting not found")),
        None => Err(Error::Forbidden),
    }
}

/// A setting document as `private-settings/get` and the admin screens read it.
pub fn to_admin_wire(setting: &SettingValue) -> Value {
    let def = setting.def;
    let mut doc = json!({
        "_id": def.id,
        "value": setting.value,
        "packageValue": def.default_value(),
        "type": def.kind.as_str(),
        "public": def.public,
        "group": def.group,
        "enterprise": false,
        "_updatedAt": ferrochat_model::DateStyle::EJson.date(setting.updated_at),
    });
    if let Some(section) = def.section {
        doc["section"] = Value::String(section.to_owned());
    }
    if !def.values.is_empty() {
        doc["values"] = def
            .values
            .iter()
            .map(|key| json!({"key": key, "i18nLabel": key}))
            .collect();
    }
    if def.is_readonly() {
        doc["readonly"] = Value::Bool(true);
    }
    if def.is_secret() {
        doc["secret"] = Value::Bool(true);
    }
    doc
}

/// Validates, stores and applies a new value, then records and announces it.
pub async fn change(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    id: &str,
    value: Value,
) -> Result<SettingValue> {
    let Some(previous) = state.settings.get(id) else {
        return Err(
            if state.authz.has_global(caller, "edit-privileged-setting") {
                Error::not_found("Setting not found")
            } else {
                Error::Forbidden
            },
        );
    };
    if !may_change(state, caller, id) {
        return Err(Error::Forbidden);
    }
    if previous.def.is_readonly() {
        return Err(Error::failure(
            "error-setting-readonly",
            format!("Setting {id} is read-only"),
        ));
    }
    let updated = state
        .settings
        .set(&state.store, id, value, now_ms())
        .await?;
    let snapshot = |value: &Value| {
        if updated.def.is_secret() {
            json!({"secret": true})
        } else {
            json!({"value": value})
        }
    };
    audit::record(
        state,
        caller,
        ip,
        "setting.change",
        "setting",
        updated.def.id,
        Some(snapshot(&previous.value)),
        Some(snapshot(&updated.value)),
    )
    .await;
    node_sync::setting_changed(state, updated.def.id);
    if updated.def.public {
        events::notify_all(
            state,
            "public-settings-changed",
            json!(["updated", {"_id": updated.def.id, "value": updated.value}]),
        );
    } else {
        events::notify_logged(
            state,
            "private-settings-changed",
            json!(["updated", {"_id": updated.def.id}]),
        );
    }
    Ok(updated)
}

/// Applies several changes (`saveSettings`): every one is checked before any is written, so a
/// refused or invalid entry leaves all settings as they were.
pub async fn change_many(
    state: &AppState,
    caller: &User,
    ip: Option<IpAddr>,
    changes: Vec<(String, Value)>,
) -> Result<()> {
    for (id, value) in &changes {
        let Some(setting) = state.settings.get(id) else {
            return Err(Error::Forbidden);
        };
        if !may_change(state, caller, id) {
            return Err(Error::Forbidden);
        }
        crate::services::settings::validate(setting.def, value)?;
    }
    for (id, value) in changes {
        change(state, caller, ip, &id, value).await?;
    }
    Ok(())
}
