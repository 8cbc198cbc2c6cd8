//! Identity and the connection-manager endpoints: `GET /v2/devices/me`, `GET /v2/me`, accounts,
//! projects, connect and disconnect. The non-secret identity is cached in the state directory so
//! the UI can show it offline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::AuthorizedClient;
use crate::error::{Error, Result};

/// Frame.io's help page for accounts without Camera to Cloud.
pub const NO_C2C_HELP_URL: &str =
    "https://help.frame.io/en/articles/4887091-c2c-frame-io-camera-to-cloud-faqs";

/// The signed-in user.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// User id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Profile image URL (`image_256`, else `profile_image`).
    pub image_url: Option<String>,
}

/// A project, always addressed by id; the name is for display only.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    /// Project id (UUID).
    pub id: String,
    /// Current name.
    pub name: String,
}

/// This device as Frame.io knows it.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Project-device id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `online`, `offline` or `paused`.
    pub status: String,
}

/// Who is signed in and where uploads go.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The user.
    pub user: UserInfo,
    /// The device.
    pub device: DeviceInfo,
    /// The connected project, if any.
    pub project: Option<ProjectRef>,
    /// When this was read from the server.
    pub fetched_at: DateTime<Utc>,
}

/// An account the user can pick.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Display name.
    pub display_name: String,
}

/// A project the user can connect to.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The account listing.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountList {
    /// Accounts where C2C is usable.
    Accounts(#[cfg_attr(feature = "uniffi", uniffi(name = "accounts"))] Vec<Account>),
    /// The user has no C2C-enabled account: show a message and link to `help_url`.
    NoC2cAccounts {
        /// Frame.io's support document.
        help_url: String,
    },
}

fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(x)) if !x.is_empty() => Some(x.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn object(resp: &crate::http::HttpResponse, what: &str) -> Result<Value> {
    let v: Value = resp.json()?;
    if !v.is_object() {
        return Err(Error::UnexpectedResponse(format!(
            "{what} is not an object"
        )));
    }
    Ok(v)
}

pub(crate) fn list(resp: &crate::http::HttpResponse, what: &str) -> Result<Vec<Value>> {
    match resp.json::<Value>()? {
        Value::Array(a) => Ok(a),
        // Tolerate a paginated wrapper.
        Value::Object(o) => match o.get("results").or_else(|| o.get("data")) {
            Some(Value::Array(a)) => Ok(a.clone()),
            _ => Err(Error::UnexpectedResponse(format!("{what} is not a list"))),
        },
        _ => Err(Error::UnexpectedResponse(format!("{what} is not a list"))),
    }
}

pub(crate) fn parse_user(v: &Value) -> Result<UserInfo> {
    Ok(UserInfo {
        id: s(v, "id").unwrap_or_default(),
        name: s(v, "name").unwrap_or_default(),
        email: s(v, "email")
            .ok_or_else(|| Error::UnexpectedResponse("the user has no email".into()))?,
        image_url: s(v, "image_256").or_else(|| s(v, "profile_image")),
    })
}

pub(crate) fn parse_device(v: &Value) -> Result<(DeviceInfo, Option<ProjectRef>)> {
    let device = DeviceInfo {
        id: s(v, "id").ok_or_else(|| Error::UnexpectedResponse("the device has no id".into()))?,
        name: s(v, "name").unwrap_or_default(),
        status: s(v, "status").unwrap_or_else(|| "online".into()),
    };
    let nested = v.get("project").filter(|p| p.is_object());
    let project_id = nested
        .and_then(|p| s(p, "id"))
        .or_else(|| s(v, "project_id"));
    let project = project_id.map(|id| ProjectRef {
        id,
        name: nested.and_then(|p| s(p, "name")).unwrap_or_default(),
    });
    Ok((device, project))
}

/// Who authorized the device, from `/v2/devices/me`'s `authorization.creator` (a device-code
/// token cannot read `/v2/me`): id and name; email when the server includes one.
pub(crate) fn parse_creator(v: &Value) -> UserInfo {
    let creator = v
        .get("authorization")
        .and_then(|a| a.get("creator"))
        .filter(|c| c.is_object());
    match creator {
        Some(c) => UserInfo {
            id: s(c, "id").unwrap_or_default(),
            name: s(c, "name").unwrap_or_default(),
            email: s(c, "email").unwrap_or_default(),
            image_url: s(c, "image_256").or_else(|| s(c, "profile_image")),
        },
        None => UserInfo::default(),
    }
}

/// `GET /v2/devices/me`: the device, its project, and who authorized it.
pub(crate) async fn fetch_device(
    client: &AuthorizedClient,
) -> Result<(DeviceInfo, Option<ProjectRef>, UserInfo)> {
    let v = object(&client.get("/v2/devices/me").await?, "the device")?;
    let (device, project) = parse_device(&v)?;
    Ok((device, project, parse_creator(&v)))
}

/// Read the identity from the server: with a device-code pair `/v2/devices/me` only (the user
/// from the authorization's creator); with an account sign-in also `/v2/me` (name, email, image).
pub(crate) async fn fetch(
    client: &AuthorizedClient,
    method: crate::tokens::SignInMethod,
) -> Result<Identity> {
    let (device, project, user) = if method.can_manage_connection() {
        let (dev, me) = tokio::join!(fetch_device(client), client.get("/v2/me"));
        let (device, project, _) = dev?;
        (device, project, parse_user(&object(&me?, "the user")?)?)
    } else {
        fetch_device(client).await?
    };
    Ok(Identity {
        user,
        device,
        project,
        fetched_at: Utc::now(),
    })
}

pub(crate) async fn accounts(client: &AuthorizedClient) -> Result<AccountList> {
    let resp = client.get("/v2/devices/accounts").await?;
    let accounts: Vec<Account> = list(&resp, "the account list")?
        .iter()
        .filter_map(|a| {
            Some(Account {
                id: s(a, "id")?,
                display_name: s(a, "display_name")
                    .or_else(|| s(a, "name"))
                    .unwrap_or_default(),
            })
        })
        .collect();
    if accounts.is_empty() {
        return Ok(AccountList::NoC2cAccounts {
            help_url: NO_C2C_HELP_URL.to_string(),
        });
    }
    Ok(AccountList::Accounts(accounts))
}

/// Case-insensitive "contains" filter on project names (blank matches all).
pub fn filter_projects(projects: Vec<Project>, search: Option<&str>) -> Vec<Project> {
    let needle = search.map(|s| s.trim().to_lowercase()).unwrap_or_default();
    if needle.is_empty() {
        return projects;
    }
    projects
        .into_iter()
        .filter(|p| p.name.to_lowercase().contains(&needle))
        .collect()
}

pub(crate) async fn projects(
    client: &AuthorizedClient,
    account_id: &str,
    search: Option<&str>,
) -> Result<Vec<Project>> {
    let id = uuid::Uuid::parse_str(account_id.trim()).map_err(|_| Error::NotFound {
        detail: format!("{account_id:?} is not an account id"),
    })?;
    let resp = client
        .get(&format!("/v2/devices/accounts/{id}/projects"))
        .await?;
    let all: Vec<Project> = list(&resp, "the project list")?
        .iter()
        .filter_map(|p| {
            Some(Project {
                id: s(p, "id")?,
                name: s(p, "name").unwrap_or_default(),
            })
        })
        .collect();
    Ok(filter_projects(all, search))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_device_and_user_tolerantly() {
        let d: Value = serde_json::json!({"id":"d1","name":"Cam","project_id":"p1",
            "project":{"id":"p1","name":"Testbed","extra":1},"unknown":[1]});
        let (dev, proj) = parse_device(&d).unwrap();
        assert_eq!(dev.status, "online");
        assert_eq!(proj.unwrap().name, "Testbed");
        let d2: Value = serde_json::json!({"id":"d1","project":null,"project_id":null});
        assert_eq!(parse_device(&d2).unwrap().1, None);
        let u: Value =
            serde_json::json!({"id":"u","name":"N","email":"e@x","profile_image":"https://i"});
        assert_eq!(
            parse_user(&u).unwrap().image_url.as_deref(),
            Some("https://i")
        );
        assert!(parse_user(&serde_json::json!({"id":"u"})).is_err());
    }

    #[test]
    fn the_user_of_a_paired_device_comes_from_the_authorization() {
        let d: Value = serde_json::json!({"id":"d1","authorization":{"creator":
            {"_type":"user","id":"u1","name":"Dana Reyes"}}});
        let u = parse_creator(&d);
        assert_eq!(
            (u.id.as_str(), u.name.as_str(), u.email.as_str()),
            ("u1", "Dana Reyes", "")
        );
        let with_email: Value = serde_json::json!({"authorization":{"creator":
            {"id":"u1","name":"Dana","email":"dana@example.com"}}});
        assert_eq!(parse_creator(&with_email).email, "dana@example.com");
        assert_eq!(
            parse_creator(&serde_json::json!({"authorization": null})),
            UserInfo::default()
        );
    }

    #[test]
    fn search_is_case_insensitive() {
        let ps = vec![
            Project {
                id: "1".into(),
                name: "Pilot Episode 101".into(),
            },
            Project {
                id: "2".into(),
                name: "Testbed".into(),
            },
        ];
        assert_eq!(filter_projects(ps.clone(), Some("  pILOT ")).len(), 1);
        assert_eq!(filter_projects(ps.clone(), Some("")).len(), 2);
        assert_eq!(filter_projects(ps, None).len(), 2);
    }
}
