//! The words both apps show: headings, button labels, state names. One source, so the Android and
//! iOS apps read the same (their presenters map states to layout, never to wording).

use super::format;
use super::view::{ActionKind, ConnectionHeader, ConnectionView, HoldReason, RowState};
use crate::connection::ConnectionType;
use crate::queue::AssetKind;
use crate::tokens::SignInMethod;

/// The label of the control for `a`.
pub fn action_label(a: ActionKind) -> &'static str {
    use ActionKind as A;
    match a {
        A::Pair => "Pair with a code",
        A::CancelPairing | A::CancelSignIn | A::CancelFile => "Cancel",
        A::OpenVerificationLink => "Open link",
        A::SignIn => "Sign in with Frame.io",
        A::OpenSignIn => "Open the sign-in page",
        A::CompleteSignIn => "Finish signing in",
        A::ReloadAccounts => "Reload accounts",
        A::ChooseAccount => "Choose account",
        A::OpenHelp => "Learn more",
        A::BackToAccounts => "Accounts",
        A::SearchProjects => "Search projects",
        A::ChooseProject => "Choose project",
        A::CancelChange => "Keep current project",
        A::Disconnect => "Disconnect",
        A::ChangeProject => "Change project",
        A::SignOut => "Sign out",
        A::Refresh => "Refresh",
        A::Retry => "Try again",
        A::DismissError => "Dismiss",
        A::SetAuto => "Upload automatically",
        A::SetManual => "Choose files manually",
        A::Pause => "Pause",
        A::Resume => "Resume",
        A::CancelAll => "Cancel all",
        A::UploadSelected => "Upload selected",
        A::SelectAll => "Select all",
        A::ClearSelection => "Clear selection",
        A::ToggleSelect => "Select",
        A::MoveToTop => "Move to top",
        A::RetryFile => "Retry",
        A::LogTake => "Log take",
        A::ToggleCircle => "Circle take",
        A::AddNote => "Add note",
        A::RetryNote => "Send again",
        A::AddTrigger => "Mark",
    }
}

/// The connection manager's heading, sentence, and whether it shows progress or a problem.
pub fn connection_header(v: &ConnectionView) -> ConnectionHeader {
    use ConnectionView as V;
    let h = |title: &str, message: Option<String>| ConnectionHeader {
        title: title.into(),
        message,
        busy: false,
        is_error: false,
    };
    let busy = |title: &str, message: String| ConnectionHeader {
        busy: true,
        ..h(title, Some(message))
    };
    let error = |title: &str, message: String| ConnectionHeader {
        is_error: true,
        ..h(title, Some(message))
    };
    match v {
        V::NotAuthorized { message } => h(
            "Not connected to Frame.io",
            Some(message.clone().unwrap_or_else(|| {
                "Connect this app to a Frame.io project to upload what you record: sign in with your Frame.io account, or pair it with a code.".into()
            })),
        ),
        V::SigningIn { .. } => busy(
            "Sign in with Frame.io",
            "Finish signing in on the Frame.io page. You come back here by yourself.".into(),
        ),
        V::RequestingCode => busy("Connecting to Frame.io…", "Getting a code".into()),
        V::ShowingCode { .. } => h(
            "Connect this device",
            Some("Scan the code with your phone, or open the link and enter the code. Sign in with the Frame.io account that has the project.".into()),
        ),
        V::Authorizing => busy("Finishing…", "Approved. Signing this device in.".into()),
        V::NotConnected { method, .. } => match method {
            SignInMethod::Account => h(
                "Choose a project",
                Some("Signed in. Choose the account and project to upload to.".into()),
            ),
            SignInMethod::DeviceCode => error(
                "No project",
                "This device is paired but has no project. Pair it again and pick the project on Frame.io, or sign in with your Frame.io account.".into(),
            ),
        },
        V::LoadingAccounts { .. } => busy("Choose an account", "Loading accounts…".into()),
        V::ChoosingAccount { accounts, .. } => h(
            "Choose an account",
            accounts.is_empty().then(|| "No accounts.".into()),
        ),
        V::NoC2cAccounts { .. } => error(
            "No Camera to Cloud account",
            "None of your Frame.io accounts has Camera to Cloud. Ask the account owner to enable it, or learn more in Frame.io's help.".into(),
        ),
        V::LoadingProjects { account, .. } => busy(
            "Choose a project",
            format!("Loading projects of {}…", account.name),
        ),
        V::ChoosingProject { .. } => h("Choose a project", None),
        V::Connecting { project_name, .. } => {
            busy("Connecting…", format!("Connecting to {project_name}"))
        }
        V::Connected { method, .. } => h(
            "Connected",
            (*method == SignInMethod::DeviceCode).then(|| {
                "Paired with a code: to change project, pair again or sign in with your Frame.io account.".into()
            }),
        ),
        V::Failed { message, .. } => error("Something went wrong", message.clone()),
    }
}

/// `12 projects`, or `3 of 12 projects` while a search hides some.
pub fn project_count(shown: usize, total: u64, query: &str) -> String {
    let noun = if total == 1 { "project" } else { "projects" };
    if query.trim().is_empty() || shown as u64 == total {
        format!("{total} {noun}")
    } else {
        format!("{shown} of {total} {noun}")
    }
}

/// What the project list says when it is empty.
pub fn projects_empty(shown: usize, query: &str) -> Option<String> {
    match (shown, query.trim()) {
        (0, "") => Some("This account has no projects.".into()),
        (0, q) => Some(format!("No project matches “{q}”.")),
        _ => None,
    }
}

/// `https://frame.io/device/` → `frame.io/device`, for showing a link.
pub fn display_url(url: &str) -> String {
    url.trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// The pairing code's countdown.
pub fn countdown(expires_in_secs: u64) -> String {
    if expires_in_secs == 0 {
        "Code expired: getting a new one…".into()
    } else {
        format!("Expires in {}", format::duration_secs(expires_in_secs))
    }
}

pub fn connection_type(t: ConnectionType) -> &'static str {
    match t {
        ConnectionType::Wifi => "Wi-Fi",
        ConnectionType::Cellular => "Cellular",
        ConnectionType::Ethernet => "Ethernet",
        ConnectionType::Unknown => "Network",
    }
}

/// The banner's short name for why files wait.
pub fn hold_title(h: HoldReason) -> &'static str {
    match h {
        HoldReason::PausedByUser => "Paused",
        HoldReason::Offline => "Offline",
        HoldReason::NotAuthorized => "Not connected to Frame.io",
        HoldReason::NotConnected => "No project chosen",
        HoldReason::Suspended => "Suspended by the system",
        HoldReason::Insecure => "No secure connection",
    }
}

/// The sentence under it.
pub fn hold_message(h: HoldReason) -> &'static str {
    match h {
        HoldReason::PausedByUser => "Uploads are paused. Resume to continue.",
        HoldReason::Offline => "Offline: uploads resume when the network is back.",
        HoldReason::NotAuthorized => "Connect this device to Frame.io to upload.",
        HoldReason::NotConnected => "Choose a project to upload to.",
        HoldReason::Suspended => "Uploads continue in the background while the system allows.",
        HoldReason::Insecure => {
            "Cannot reach Frame.io securely. Check the network (a Wi-Fi sign-in page?) and the device's date and time."
        }
    }
}

pub fn row_state(s: RowState) -> &'static str {
    match s {
        RowState::AwaitingSelection => "Not selected",
        RowState::Queued => "Queued",
        RowState::WaitingToRetry => "Waiting to retry",
        RowState::Uploading => "Uploading",
        RowState::Recording => "Recording",
        RowState::Completed => "Uploaded",
        RowState::Failed => "Failed",
        RowState::Skipped => "Not uploaded",
        RowState::Cancelled => "Cancelled",
    }
}

pub fn asset_kind(k: AssetKind) -> &'static str {
    match k {
        AssetKind::Proxy => "Proxy",
        AssetKind::Hero => "Hero",
        AssetKind::Audio => "Audio",
        AssetKind::Other => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_links_read_well() {
        assert_eq!(project_count(12, 12, ""), "12 projects");
        assert_eq!(project_count(3, 12, "cam"), "3 of 12 projects");
        assert_eq!(project_count(1, 1, "x"), "1 project");
        assert_eq!(
            projects_empty(0, "  "),
            Some("This account has no projects.".into())
        );
        assert_eq!(
            projects_empty(0, " Ab "),
            Some("No project matches “Ab”.".into())
        );
        assert_eq!(projects_empty(2, "Ab"), None);
        assert_eq!(display_url("https://frame.io/device/"), "frame.io/device");
        assert_eq!(countdown(0), "Code expired: getting a new one…");
        assert_eq!(countdown(305), "Expires in 5 min 05 s");
    }
}
