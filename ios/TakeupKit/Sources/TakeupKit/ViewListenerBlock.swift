// A ViewListener from a closure: the view model calls it on an engine thread with every new
// AppView; the app hops to the main thread to render. Plain Swift.
import Foundation
import Takeup

public final class ViewListenerBlock: ViewListener, @unchecked Sendable {
    private let deliver: @Sendable (AppView) -> Void

    public init(_ deliver: @escaping @Sendable (AppView) -> Void) {
        self.deliver = deliver
    }

    public func onView(view: AppView) {
        deliver(view)
    }
}

extension AppView {
    /// The connected project's name, if connected (shown on every screen: the checklist asks
    /// that the user can always see where uploads go).
    public var connectedProjectName: String? {
        if case .connected(_, let project, _, _) = connection { return project.name }
        return nil
    }
}
