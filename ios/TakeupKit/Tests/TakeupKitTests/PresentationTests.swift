import Foundation
import Takeup
import XCTest

@testable import TakeupKit

final class PresentationTests: XCTestCase {
    func testConnectionTexts() {
        let removed = Presentation.connection(.notAuthorized(message: "This device was removed in Frame.io."))
        XCTAssertEqual(removed.message, "This device was removed in Frame.io.")
        XCTAssertEqual(removed.tone, .caution)
        let code = Presentation.connection(Samples.connection[3])
        XCTAssertTrue(code.message?.contains("ABC123") == true)
        XCTAssertTrue(code.message?.contains("Dana's iPhone") == true)
        let busy = Samples.connection.filter { Presentation.connection($0).isBusy }.map { Presentation.connection($0).stateId }
        XCTAssertEqual(busy, ["requesting_code", "authorizing", "loading_accounts", "loading_projects", "connecting",
                              "signing_in"])
        let picker = Presentation.connection(Samples.connection[10])
        XCTAssertEqual(picker.message, "Testbed Films · 1 of 12 projects match “test”")
        let all = Presentation.connection(.choosingProject(user: Samples.user, account: Samples.account, query: " ",
                                                           projects: [Samples.project], total: 1))
        XCTAssertEqual(all.message, "Testbed Films · 1 project")
        let connected = Presentation.connection(Samples.connection[12])
        XCTAssertEqual(connected.title, "Testbed")
        XCTAssertEqual(connected.user?.email, "dana@example.com")
        XCTAssertEqual(Presentation.connection(Samples.connection[13]).message, "The network is unreachable.")
        // A paired device: no project means pairing again; connected says how to change it.
        XCTAssertEqual(Presentation.connection(Samples.connection[15]).title, "No project")
        XCTAssertTrue(Presentation.connection(Samples.connection[16]).message?.contains("pair again") == true)
    }

    func testSignInPageCallbackAndCommands() {
        XCTAssertEqual(Presentation.signInPage(Samples.signingIn)?.host, "applications.frame.io")
        XCTAssertEqual(Presentation.command(.openSignIn, connection: Samples.signingIn),
                       .signIn(Presentation.signInPage(Samples.signingIn)!))
        XCTAssertNil(Presentation.signInPage(.signingIn(authorizationUrl: "javascript:alert(1)")))
        XCTAssertEqual(Presentation.command(.openSignIn, connection: .requestingCode), .unavailable)
        XCTAssertEqual(Presentation.callbackScheme(redirectUri: "io.takeup.app:/oauth2redirect"), "io.takeup.app")
        XCTAssertNil(Presentation.callbackScheme(redirectUri: "http://127.0.0.1/callback"))
        XCTAssertEqual(Presentation.command(.signIn), .dispatch(.signIn))
        XCTAssertEqual(Presentation.command(.cancelSignIn), .dispatch(.cancelSignIn))
        XCTAssertEqual(Presentation.command(.completeSignIn, target: .redirect("io.takeup.app:/oauth2redirect?code=c")),
                       .dispatch(.completeSignIn(redirectUrl: "io.takeup.app:/oauth2redirect?code=c")))
        XCTAssertEqual(Presentation.command(.completeSignIn), .unavailable)
        XCTAssertEqual(Presentation.buttonActions([.openSignIn, .completeSignIn, .cancelSignIn]),
                       [.openSignIn, .cancelSignIn])
    }

    func testPairingCountdownAndLinks() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertEqual(Presentation.codeCountdown(expiresAtMs: 1_700_000_300_000, now: now), "Code expires in 5:00")
        XCTAssertEqual(Presentation.codeCountdown(expiresAtMs: 1_700_000_000_000, now: now),
                       "Code expired: getting a new one…")
        XCTAssertEqual(Presentation.verificationLink(Samples.connection[3])?.absoluteString,
                       "https://frame.io/c2c?code=ABC123")
        let plainOnly = ConnectionView.showingCode(userCode: "X", verificationUri: "https://frame.io/c2c",
                                                   verificationUriComplete: nil, qrContent: "X", expiresAtMs: 0,
                                                   expiresInSecs: 0, deviceName: nil, attempt: 2)
        XCTAssertEqual(Presentation.verificationLink(plainOnly)?.absoluteString, "https://frame.io/c2c")
        XCTAssertTrue(Presentation.connection(plainOnly).message?.hasPrefix("The previous code expired") == true)
        // Only web links leave the app.
        let hostile = ConnectionView.noC2cAccounts(user: Samples.user, helpUrl: "javascript:alert(1)")
        XCTAssertNil(Presentation.helpLink(hostile))
        XCTAssertEqual(Presentation.command(.openHelp, connection: hostile), .unavailable)
        XCTAssertEqual(Presentation.helpLink(Samples.connection[8])?.host, "help.frame.io")
    }

    func testNetworkBannerRowsAndNotices() {
        let online = Presentation.network(Samples.network[1])
        XCTAssertEqual(online.title, "Cellular")
        XCTAssertEqual(online.detail, "Cellular · fair · 12 Mbit/s")
        XCTAssertEqual(online.tone, .caution)
        XCTAssertTrue(online.isOnline)

        XCTAssertEqual(Presentation.banner(Samples.banners[1]).title, "Uploading 3 files")
        XCTAssertEqual(Presentation.banner(Samples.banners[1]).message, "12.3 MB left · 48 Mbit/s")
        XCTAssertEqual(Presentation.banner(Samples.banners[2]).title, "Waiting for the network")
        XCTAssertEqual(Presentation.banner(Samples.banners[2]).message, "Waiting for the network · 2 files waiting")
        XCTAssertEqual(Presentation.banner(Samples.banners[3]).message, "4 files wait for your selection")
        XCTAssertEqual(Presentation.banner(.allDone(completed: 5, failed: 0)).tone, .positive)
        XCTAssertEqual(Presentation.banner(Samples.banners[4]).tone, .critical)

        let uploading = Presentation.row(Samples.row(.uploading))
        XCTAssertTrue(uploading.showsProgress)
        XCTAssertEqual(uploading.progress, 0.42)
        XCTAssertEqual(uploading.detail, "1.00 MB of 7.34 MB")
        XCTAssertEqual(uploading.kind, "Proxy")
        let recording = Presentation.row(Samples.row(.recording))
        XCTAssertTrue(recording.showsProgress)
        XCTAssertNil(recording.progress, "indeterminate while recording")
        XCTAssertTrue(Presentation.row(Samples.row(.awaitingSelection)).showsCheckbox)
        XCTAssertFalse(Presentation.row(Samples.row(.queued)).showsCheckbox)
        var over = Samples.row(.uploading)
        over.progress = 1.7
        XCTAssertEqual(Presentation.row(over).progress, 1)

        let paused = Presentation.notice(Samples.notices[0])
        XCTAssertEqual(paused.message, "The device is paused in Frame.io.")
        XCTAssertEqual(paused.tone, .caution)
    }

    func testActionsTitlesRolesAndCommands() {
        XCTAssertEqual(Presentation.action(.pair).role, .primary)
        XCTAssertEqual(Presentation.action(.signOut).role, .destructive)
        XCTAssertEqual(Presentation.action(.cancelPairing).role, .cancel)
        XCTAssertEqual(Presentation.action(.reloadAccounts, on: .notConnected(user: Samples.user, method: .account)).title,
                       "Choose a project")
        XCTAssertEqual(Presentation.action(.reloadAccounts).title, "Reload")
        XCTAssertEqual(Presentation.command(.moveToTop, target: .file(9)), .dispatch(.moveToTop(id: 9)))
        XCTAssertEqual(Presentation.command(.cancelFile), .unavailable)
        XCTAssertEqual(Presentation.command(.chooseProject, target: .file(1)), .unavailable)
        XCTAssertEqual(Presentation.buttonActions([.openHelp, .reloadAccounts, .cancelChange, .signOut]),
                       [.reloadAccounts, .cancelChange, .signOut])
        XCTAssertEqual(Set(Presentation.allActionKinds.map(Presentation.actionId)).count,
                       Presentation.allActionKinds.count)
    }
}

final class AppViewHelpersTests: XCTestCase {
    func testConnectedProjectNameAndTheListenerBlock() {
        let queue = QueueView(mode: .auto, pausedByUser: false, banner: .empty, summary: "", filesRemaining: 0,
                              bytesRemaining: 0, current: nil, sections: [], selectedIds: [], actions: [])
        var view = AppView(connection: Samples.connection[12], connectionActions: [], network: Samples.network[0],
                           queue: queue, notices: [], alert: nil)
        XCTAssertEqual(view.connectedProjectName, "Testbed")
        view.connection = .notConnected(user: Samples.user, method: .account)
        XCTAssertNil(view.connectedProjectName)

        let got = Recorder<String>()
        ViewListenerBlock { got.add(Presentation.connection($0.connection).stateId) }.onView(view: view)
        XCTAssertEqual(got.all, ["not_connected"])
    }

    func testErrorMessagesAndRetryability() {
        XCTAssertEqual(TakeupError.Network(userMessage: "no route").message, "no route")
        XCTAssertEqual(TakeupError.RateLimited(userMessage: "slow down", retryAfter: 3).message, "slow down")
        XCTAssertTrue(TakeupError.Storage(userMessage: "locked").isRetryable)
        XCTAssertFalse(TakeupError.InvalidConfig(userMessage: "http").isRetryable)
        XCTAssertFalse(TakeupError.InvalidClient(userMessage: "secret").isRetryable)
    }
}
