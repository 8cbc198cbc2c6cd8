// The connection manager: every state of `connection` in shared-ui-spec/spec.json.
import SwiftUI
import Takeup
import TakeupKit

struct ConnectionScreen: View {
    let view: AppView

    var body: some View {
        Group {
            if case .choosingProject(_, let account, let query, let projects, _, let countText, let emptyText)
                = view.connection {
                // Its own list: `.searchable` belongs on the list inside the NavigationStack.
                ProjectPicker(view: view, account: account, query: query, projects: projects,
                              countText: countText, emptyText: emptyText)
            } else {
                manager
            }
        }
        .navigationTitle("Frame.io")
    }

    private var manager: some View {
        let connection = view.connection
        let p = Presentation.connection(view)
        return List {
            if !view.notices.isEmpty {
                Section { NoticesView(notices: view.notices) }
            }
            Section {
                ConnectionHeaderView(p: p)
                switch connection {
                case .notAuthorized, .requestingCode, .authorizing, .connecting, .loadingAccounts,
                     .loadingProjects, .failed, .notConnected, .signingIn:
                    // signing_in: the page is open in an ASWebAuthenticationSession (AppModel);
                    // its buttons reopen it or cancel.
                    EmptyView()
                case .showingCode(let code, _, _, let qr, _, _, let device, _, let linkText, let countdown,
                                  let attemptNote):
                    PairingCodeView(connection: connection, userCode: code, qrContent: qr, linkText: linkText,
                                    countdownText: countdown, attemptNote: attemptNote, deviceName: device)
                case .choosingAccount(_, let accounts):
                    AccountPicker(accounts: accounts)
                case .noC2cAccounts:
                    ActionButton(kind: .openHelp, connection: connection)
                case .choosingProject:
                    EmptyView()  // drawn by ProjectPicker
                case .connected(let user, let project, let deviceName, _):
                    ConnectedCard(user: user, project: project, deviceName: deviceName)
                }
            }
            ConnectionButtons(view: view)
            if let user = p.user, !isConnected(connection) {
                Section("Signed in") { UserRow(user: user) }
            }
            Section("Network") { NetworkBadgeView(network: view.network) }
        }
        .animation(.default, value: p.stateId)
    }

    private func isConnected(_ c: ConnectionView) -> Bool {
        if case .connected = c { return true }
        return false
    }
}

/// The buttons of `connection_actions` (those that are not part of the screen itself).
struct ConnectionButtons: View {
    let view: AppView

    var body: some View {
        let buttons = Presentation.buttonActions(view.connectionActions)
        if !buttons.isEmpty {
            Section {
                ForEach(buttons, id: \.self) { kind in
                    ActionButton(kind: kind, connection: view.connection)
                        .frame(maxWidth: .infinity, alignment: .leading)
                }
            }
        }
    }
}

/// Symbol or spinner, headline and message of a connection state (the view's `connection_header`).
struct ConnectionHeaderView: View {
    let p: ConnectionPresentation

    var body: some View {
        HStack(alignment: .top, spacing: 12) {
            if p.isBusy {
                ProgressView()
            } else {
                Image(systemName: p.symbol).font(.title2).foregroundStyle(p.tone.color)
            }
            VStack(alignment: .leading, spacing: 4) {
                Text(p.title).font(.headline)
                if let message = p.message {
                    Text(message).font(.subheadline).foregroundStyle(.secondary)
                }
            }
        }
        .padding(.vertical, 4)
        .accessibilityElement(children: .combine)
    }
}

/// `showing_code`: QR code, tappable link, user code, countdown (Cancel is in the buttons). The
/// view model sends a new view every second, so `countdownText` ticks by itself.
struct PairingCodeView: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.openURL) private var openURL
    let connection: ConnectionView
    let userCode: String
    let qrContent: String
    let linkText: String?
    let countdownText: String
    let attemptNote: String?
    let deviceName: String?

    var body: some View {
        VStack(spacing: 16) {
            QRCodeView(content: qrContent)
                .frame(maxWidth: 240)
                .padding(12)
                .background(Color.white, in: RoundedRectangle(cornerRadius: 12))
            Text(userCode)
                .font(.system(.largeTitle, design: .monospaced).weight(.bold))
                .textSelection(.enabled)
                .accessibilityLabel("Code \(userCode.map(String.init).joined(separator: " "))")
            if Presentation.verificationLink(connection) != nil {
                let open = Presentation.action(.openVerificationLink)
                Button {
                    model.perform(.openVerificationLink, openURL: openURL)
                } label: {
                    Label(linkText ?? open.title, systemImage: open.symbol)
                }
                .buttonStyle(.bordered)
            }
            Text(countdownText)
                .font(.footnote.monospacedDigit())
                .foregroundStyle(.secondary)
            if let attemptNote {
                Text(attemptNote).font(.footnote).foregroundStyle(.orange)
            }
            if let deviceName {
                Text("Shown in Frame.io as “\(deviceName)”").font(.footnote).foregroundStyle(.secondary)
            }
        }
        .frame(maxWidth: .infinity)
        .padding(.vertical, 8)
    }
}

struct AccountPicker: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.openURL) private var openURL
    let accounts: [AccountItem]

    var body: some View {
        ForEach(accounts, id: \.id) { account in
            PickerRow(title: account.name, symbol: "person.2") {
                model.perform(.chooseAccount, target: .account(account.id), openURL: openURL)
            }
        }
    }
}

/// One choice of a picker (an account, a project): its name with a disclosure chevron.
struct PickerRow: View {
    let title: String
    let symbol: String
    let choose: () -> Void

    var body: some View {
        Button(action: choose) {
            HStack {
                Label(title, systemImage: symbol)
                Spacer()
                Image(systemName: "chevron.forward").foregroundStyle(.tertiary)
            }
        }
        .foregroundStyle(.primary)
    }
}

/// `choosing_project`: the project list with a search field bound to the view model's `query`
/// (the view model filters; `projects` are the matches, `count_text` says how many of how many,
/// `empty_text` why the list is empty).
struct ProjectPicker: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.openURL) private var openURL
    let view: AppView
    let account: AccountItem
    let query: String
    let projects: [ProjectItem]
    let countText: String
    let emptyText: String?
    @State private var search = ""

    var body: some View {
        List {
            Section { ConnectionHeaderView(p: Presentation.connection(view)) }
            Section {
                if let emptyText {
                    Text(emptyText).foregroundStyle(.secondary)
                }
                ForEach(projects, id: \.id) { project in
                    PickerRow(title: project.name, symbol: "folder") {
                        model.perform(.chooseProject, target: .project(project.id), openURL: openURL)
                    }
                }
            } header: {
                Text(account.name)
            } footer: {
                Text(countText)
            }
            ConnectionButtons(view: view)
        }
        .searchable(text: $search, placement: .navigationBarDrawer(displayMode: .always),
                    prompt: Presentation.action(.searchProjects).title)
        .onAppear { search = query }
        .onChange(of: search) { text in
            if text != query {
                model.perform(.searchProjects, target: .query(text), openURL: openURL)
            }
        }
    }
}

/// `connected`: project, user (name, email, avatar), device (the buttons follow).
struct ConnectedCard: View {
    let user: UserView
    let project: ProjectItem
    let deviceName: String

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Label {
                VStack(alignment: .leading) {
                    Text("Project").font(.caption).foregroundStyle(.secondary)
                    Text(project.name).font(.title3.weight(.semibold))
                }
            } icon: {
                Image(systemName: "folder.fill").foregroundStyle(.green)
            }
            UserRow(user: user)
            Label("This device: \(deviceName)", systemImage: "iphone")
                .font(.footnote)
                .foregroundStyle(.secondary)
        }
        .padding(.vertical, 4)
    }
}

struct UserRow: View {
    let user: UserView

    var body: some View {
        HStack(spacing: 12) {
            AvatarView(user: user)
            VStack(alignment: .leading) {
                Text(user.name).font(.headline)
                Text(user.email).font(.subheadline).foregroundStyle(.secondary)
            }
        }
        .accessibilityElement(children: .combine)
    }
}
