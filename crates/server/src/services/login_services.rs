//! Login service configurations: the OAuth providers an administrator enabled, derived from the
//! `Accounts_OAuth_*` settings the way Rocket.Chat's `updateOAuthServices` fills its
//! `meteor_accounts_loginServiceConfiguration` collection. Clients read them to draw "Sign in
//! with …" buttons (`settings.oauth`, `service.configurations`, the
//! `meteor.loginServiceConfiguration` publication). Secrets never leave the server.
//!
//! Custom providers (`Accounts_OAuth_Custom-<name>`, added at runtime by
//! `settings.addCustomOAuth`) need settings defined at runtime, which the registry does not
//! have yet; only the built-in providers are derived.

use serde_json::{Map, Value, json};

use crate::services::settings::Settings;

pub const COLLECTION: &str = "meteor_accounts_loginServiceConfiguration";

const PREFIX: &str = "Accounts_OAuth_";

/// `Accounts_OAuth_<Name>` toggles: the service name the setting enables, or `None` for a
/// setting that cannot be a provider toggle.
fn service_name(setting_id: &str) -> Option<String> {
    let name = setting_id.strip_prefix(PREFIX)?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(if name == "Meteor" {
        "meteor-developer".to_owned()
    } else {
        name.to_owned()
    })
}

fn put_string(doc: &mut Map<String, Value>, key: &str, settings: &Settings, id: &str) {
    if let Some(setting) = settings.get(id) {
        doc.insert(key.to_owned(), setting.value);
    }
}

/// The enabled providers' configuration documents, without their secrets, sorted by service.
/// Each is `{_id, service, clientId, ...}`; `_id` is the service key, stable across nodes.
pub fn configurations(settings: &Settings) -> Vec<Value> {
    let mut docs = Vec::new();
    for setting in settings.all() {
        if setting.value != Value::Bool(true) {
            continue;
        }
        let Some(name) = service_name(setting.def.id) else {
            continue;
        };
        let key = setting.def.id;
        // Only a provider's own toggle has a client id next to it; other booleans in the
        // OAuth group (`Accounts_OAuth_Gitlab_merge_users`, ...) are options, not services.
        let client_id_setting = format!("{key}_id");
        if settings.get(&client_id_setting).is_none() {
            continue;
        }
        let service = name.to_lowercase();
        let mut doc = Map::new();
        doc.insert("_id".into(), Value::String(service.clone()));
        doc.insert("service".into(), Value::String(service.clone()));
        put_string(&mut doc, "clientId", settings, &client_id_setting);
        match name.as_str() {
            "Facebook" => rename(&mut doc, "clientId", "appId"),
            "Twitter" => rename(&mut doc, "clientId", "consumerKey"),
            "Nextcloud" => {
                for (field, id) in [
                    (
                        "buttonLabelText",
                        "Accounts_OAuth_Nextcloud_button_label_text",
                    ),
                    (
                        "buttonLabelColor",
                        "Accounts_OAuth_Nextcloud_button_label_color",
                    ),
                    ("buttonColor", "Accounts_OAuth_Nextcloud_button_color"),
                ] {
                    put_string(&mut doc, field, settings, id);
                }
            }
            _ => {}
        }
        docs.push(Value::Object(doc));
    }
    docs.sort_by(|a, b| a["service"].as_str().cmp(&b["service"].as_str()));
    docs
}

fn rename(doc: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = doc.remove(from) {
        doc.insert(to.to_owned(), value);
    }
}

/// `settings.oauth`'s summary of one configuration: SAML/CAS/WordPress services as they are,
/// the other OAuth providers reduced to what a login button needs.
pub fn oauth_summary(doc: &Value) -> Value {
    let service = doc["service"].as_str().unwrap_or_default();
    if ["saml", "cas", "wordpress"].contains(&service) {
        return doc.clone();
    }
    let client_id = ["appId", "clientId", "consumerKey"]
        .iter()
        .find_map(|k| {
            doc.get(*k)
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        })
        .cloned()
        .unwrap_or(Value::Null);
    let text = |key: &str| doc.get(key).cloned().unwrap_or_else(|| json!(""));
    json!({
        "_id": doc["_id"],
        "name": service,
        "clientId": client_id,
        "buttonLabelText": text("buttonLabelText"),
        "buttonColor": text("buttonColor"),
        "buttonLabelColor": text("buttonLabelColor"),
        "custom": false,
    })
}

#[cfg(test)]
mod tests {
    use super::service_name;

    #[test]
    fn only_provider_toggles_name_a_service() {
        assert_eq!(
            service_name("Accounts_OAuth_Google").as_deref(),
            Some("Google")
        );
        assert_eq!(
            service_name("Accounts_OAuth_Meteor").as_deref(),
            Some("meteor-developer")
        );
        assert_eq!(service_name("Accounts_OAuth_Custom-keycloak"), None);
        assert_eq!(service_name("Accounts_Default_User_Preferences"), None);
        assert_eq!(service_name("Accounts_OAuth_"), None);
    }
}
