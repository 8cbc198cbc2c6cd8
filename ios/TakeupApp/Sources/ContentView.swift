// The root: three tabs (uploads, the take log, the Frame.io connection manager), each with the
// notices and the network status; the view model's one-off `alert` as a bar at the bottom. Renders
// every field of `app_view` in shared-ui-spec/spec.json: connection + connection_header +
// connection_actions (ConnectionScreen), network (every tab), queue (QueueScreen), take_log
// (TakeLogScreen), notices (every tab), alert (here).
import SwiftUI
import Takeup
import TakeupKit

struct ContentView: View {
    @EnvironmentObject private var model: AppModel
    @State private var tab = Tab.uploads

    enum Tab: Hashable { case uploads, takeLog, connection }

    var body: some View {
        switch model.phase {
        case .starting where model.view == nil:
            ProgressView("Starting…")
        case .failed(let message, let retryable):
            StartFailedView(message: message, retryable: retryable)
        default:
            if let view = model.view {
                tabs(view)
            } else {
                ProgressView("Starting…")
            }
        }
    }

    private func tabs(_ view: AppView) -> some View {
        TabView(selection: $tab) {
            NavigationStack { QueueScreen(view: view) }
                .tabItem { Label("Uploads", systemImage: "arrow.up.circle") }
                .tag(Tab.uploads)
            NavigationStack { TakeLogScreen(view: view) }
                .tabItem { Label("Take log", systemImage: "list.bullet.clipboard") }
                .badge(Int(clamping: view.takeLog.waiting))
                .tag(Tab.takeLog)
            NavigationStack { ConnectionScreen(view: view) }
                .tabItem { Label("Frame.io", systemImage: connectionSymbol(view)) }
                .tag(Tab.connection)
        }
        .overlay(alignment: .bottom) {
            if let alert = view.alert {
                AlertBar(message: alert) { model.dispatch(.dismissError) }
            } else if let local = model.localAlert {
                AlertBar(message: local) { model.localAlert = nil }
            }
        }
        .onAppear {
            // First launch, not paired: open the connection manager.
            if case .notAuthorized = view.connection, view.queue.sections.isEmpty { tab = .connection }
        }
    }

    private func connectionSymbol(_ view: AppView) -> String {
        if case .connected = view.connection { return "link.circle.fill" }
        return "link.circle"
    }
}

/// A one-off problem (snackbar), closed by the user.
struct AlertBar: View {
    let message: String
    let close: () -> Void

    var body: some View {
        HStack(alignment: .top) {
            Image(systemName: "exclamationmark.triangle.fill").foregroundStyle(.orange)
            Text(message).font(.footnote).frame(maxWidth: .infinity, alignment: .leading)
            Button(Presentation.action(.dismissError).title, action: close).font(.footnote.weight(.semibold))
        }
        .padding(12)
        .background(.regularMaterial, in: RoundedRectangle(cornerRadius: 12))
        .padding(.horizontal)
        .padding(.bottom, 56)  // above the tab bar
        .transition(.move(edge: .bottom).combined(with: .opacity))
        .accessibilityElement(children: .combine)
    }
}

struct StartFailedView: View {
    @EnvironmentObject private var model: AppModel
    let message: String
    let retryable: Bool

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.octagon").font(.largeTitle).foregroundStyle(.red)
            Text("Takeup could not start").font(.headline)
            Text(message).font(.subheadline).multilineTextAlignment(.center).foregroundStyle(.secondary)
            if retryable {
                Button("Try again") { model.retryStart() }.buttonStyle(.borderedProminent)
            }
        }
        .padding()
    }
}
