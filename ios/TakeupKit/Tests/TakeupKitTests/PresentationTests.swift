import Foundation
import Takeup
import XCTest

@testable import TakeupKit

final class PresentationTests: XCTestCase {
    func testConnectionWordsComeFromTheHeaderAndLayoutFromTheState() {
        let removed = ConnectionView.notAuthorized(message: "This device was removed in Frame.io.")
        let header = ConnectionHeader(title: "Not connected to Frame.io", message: "This device was removed in Frame.io.",
                                      busy: false, isError: false)
        let p = Presentation.connection(removed, header: header)
        XCTAssertEqual(p.title, "Not connected to Frame.io")
        XCTAssertEqual(p.message, "This device was removed in Frame.io.")
        XCTAssertEqual(p.tone, .caution, "a removed device is a caution")
        XCTAssertEqual(Presentation.connection(.notAuthorized(message: nil), header: header).tone, .neutral)
        // busy and is_error come from the header: the spinner and the problem's colour.
        let busy = Presentation.connection(.connecting(user: Samples.user, projectName: "Testbed"),
                                           header: ConnectionHeader(title: "Connecting…", message: "Connecting to Testbed",
                                                                    busy: true, isError: false))
        XCTAssertTrue(busy.isBusy)
        XCTAssertEqual(busy.user?.email, "dana@example.com")
        let noProject = Presentation.connection(Samples.connection[15],
                                                header: ConnectionHeader(title: "No project", message: "Pair again",
                                                                         busy: false, isError: true))
        XCTAssertEqual(noProject.tone, .critical)
        XCTAssertEqual(noProject.stateId, "not_connected")
        XCTAssertEqual(Presentation.connection(Samples.connection[12], header: Samples.header).tone, .positive)
        XCTAssertEqual(Presentation.connection(Samples.connection[12], header: Samples.header).title, "Connected")
        XCTAssertEqual(Presentation.connectionStateId(Samples.connection[13]), "failed")
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

    func testPairingLinks() {
        XCTAssertEqual(Presentation.verificationLink(Samples.connection[3])?.absoluteString,
                       "https://frame.io/c2c?code=ABC123")
        let plainOnly = ConnectionView.showingCode(userCode: "X", verificationUri: "https://frame.io/c2c",
                                                   verificationUriComplete: nil, qrContent: "X", expiresAtMs: 0,
                                                   expiresInSecs: 0, deviceName: nil, attempt: 2,
                                                   linkText: "frame.io/c2c", countdownText: "Code expired",
                                                   attemptNote: "New code")
        XCTAssertEqual(Presentation.verificationLink(plainOnly)?.absoluteString, "https://frame.io/c2c")
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

        XCTAssertEqual(Presentation.network(Samples.network[0]).title, "Offline")
        XCTAssertFalse(Presentation.network(Samples.network[0]).isOnline)

        // Every banner shows the view's title and detail.
        XCTAssertEqual(Samples.banners.map { Presentation.banner($0).title },
                       ["No uploads yet", "Uploading 3 files", "Offline · 2 files waiting", "4 files to choose from",
                        "All done"])
        XCTAssertEqual(Presentation.banner(Samples.banners[1]).detail, "12.3 MB remaining · 48 Mbit/s")
        XCTAssertEqual(Presentation.banner(Samples.banners[2]).detail, "Offline: uploads resume when the network is back.")
        XCTAssertEqual(Presentation.banner(Samples.banners[2]).symbol, "wifi.slash")
        XCTAssertEqual(Presentation.banner(.allDone(completed: 5, failed: 0, title: "All done", detail: "")).tone, .positive)
        XCTAssertEqual(Presentation.banner(Samples.banners[4]).tone, .critical)

        let uploading = Presentation.row(Samples.row(.uploading))
        XCTAssertTrue(uploading.showsProgress)
        XCTAssertEqual(uploading.progress, 0.42)
        XCTAssertEqual(uploading.detail, "1.00 MB of 7.34 MB")
        XCTAssertEqual(uploading.kind, "Proxy")
        XCTAssertEqual(uploading.status, "State uploading", "the view's state_text")
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
        XCTAssertEqual(paused.stateId, "device_paused")
        XCTAssertEqual(paused.tone, .caution)
    }

    func testActionsTitlesRolesAndCommands() {
        XCTAssertEqual(Presentation.action(.pair).role, .primary)
        XCTAssertEqual(Presentation.action(.signOut).role, .destructive)
        XCTAssertEqual(Presentation.action(.cancelPairing).role, .cancel)
        XCTAssertEqual(Presentation.action(.reloadAccounts, on: .notConnected(user: Samples.user, method: .account)).role,
                       .primary)
        XCTAssertEqual(Presentation.action(.reloadAccounts).role, .standard)
        // The labels are the engine's (one wording for both apps).
        XCTAssertEqual(Presentation.action(.reloadAccounts).title, "Reload accounts")
        XCTAssertEqual(Presentation.action(.retryNote).title, "Send again")
        XCTAssertEqual(Presentation.action(.toggleCircle).title, "Circle take")
        XCTAssertEqual(Presentation.command(.moveToTop, target: .file(9)), .dispatch(.moveToTop(id: 9)))
        XCTAssertEqual(Presentation.command(.cancelFile), .unavailable)
        XCTAssertEqual(Presentation.command(.chooseProject, target: .file(1)), .unavailable)
        XCTAssertEqual(Presentation.buttonActions([.openHelp, .reloadAccounts, .cancelChange, .signOut]),
                       [.reloadAccounts, .cancelChange, .signOut])
        XCTAssertEqual(Set(Presentation.allActionKinds.map(Presentation.actionId)).count,
                       Presentation.allActionKinds.count)
    }
}

final class TakeLogPresentationTests: XCTestCase {
    func testClipsNotesAndTheirStates() {
        let log = Presentation.takeLog(Samples.takeLog)
        XCTAssertEqual(log.summary, "1 note waiting to send")
        XCTAssertEqual(log.summaryTone, .critical, "a refused note outweighs a waiting one")
        XCTAssertTrue(log.canTrigger)
        XCTAssertEqual(log.triggers.map(\.text), ["Channel 1 · input 2"])
        let clip = log.clips[0]
        XCTAssertEqual(clip.id, 7)
        XCTAssertEqual(clip.title, "Scene 12A · Take 3")
        XCTAssertEqual(clip.detail, "3 notes · 1 waiting")
        XCTAssertTrue(clip.circled)
        XCTAssertTrue(clip.isLogged)
        XCTAssertEqual(clip.circleSymbol, "largecircle.fill.circle")
        XCTAssertEqual(clip.actions, [.logTake, .toggleCircle, .addNote])
        XCTAssertEqual(clip.notes.map(\.stateId), ["waiting", "sent", "failed"])
        XCTAssertEqual(clip.notes.map(\.tone), [.caution, .positive, .critical])
        XCTAssertEqual(clip.notes.map(\.detail),
                       ["Waits for the clip's upload to start", "Sent", "Not sent: refused by Frame.io"])
        XCTAssertEqual(clip.notes[2].actions, [.retryNote])
        XCTAssertEqual(Presentation.note(Samples.note(.sent, frame: 120)).frame, 120)

        var blank = Samples.clip
        blank.scene = ""
        blank.take = ""
        blank.circled = false
        blank.notes = []
        XCTAssertFalse(Presentation.clip(blank).isLogged)
        XCTAssertEqual(Presentation.clip(blank).circleSymbol, "circle")
        let empty = TakeLogView(clips: [blank], triggers: [], waiting: 0, summary: "No notes yet", actions: [])
        XCTAssertEqual(Presentation.takeLog(empty).summaryTone, .neutral)
        XCTAssertFalse(Presentation.takeLog(empty).canTrigger, "no triggers while not connected")
        var sent = Samples.takeLog
        sent.clips = [Samples.clip]
        sent.clips[0].notes = [Samples.note(.sent)]
        sent.waiting = 0
        XCTAssertEqual(Presentation.takeLog(sent).summaryTone, .positive)
        sent.clips[0].notes = [Samples.note(.waiting)]
        sent.waiting = 1
        XCTAssertEqual(Presentation.takeLog(sent).summaryTone, .caution)
    }

    func testTheTakeFormSendsATrimmedMark() {
        let clip = Presentation.clip(Samples.clip)
        var form = TakeForm(clip)
        XCTAssertEqual(form, TakeForm(scene: "12A", take: "3", circled: true))
        XCTAssertFalse(form.changes(clip))
        form.take = " 4 "
        XCTAssertTrue(form.changes(clip))
        let target = form.target(fileId: clip.id)
        XCTAssertEqual(target, .take(fileId: 7, scene: "12A", take: "4", circled: true))
        XCTAssertEqual(Presentation.command(.logTake, target: target!),
                       .dispatch(.logTake(fileId: 7, scene: "12A", take: "4", circled: true)))
        form.scene = String(repeating: "x", count: TakeForm.maxChars + 1)
        XCTAssertFalse(form.isValid)
        XCTAssertNil(form.target(fileId: 7), "the engine would refuse it")
        form.scene = String(repeating: "x", count: TakeForm.maxChars)
        XCTAssertNotNil(form.target(fileId: 7))
        XCTAssertEqual(Presentation.command(.toggleCircle, target: .file(7)), .dispatch(.toggleCircle(fileId: 7)))
    }

    func testTheNoteFieldNeedsTextAndANumericFrame() {
        XCTAssertNil(NoteDraft(text: "  \n ").target(fileId: 7), "nothing to send")
        XCTAssertEqual(NoteDraft(text: " Soft focus ").target(fileId: 7),
                       .comment(fileId: 7, text: "Soft focus", frame: nil))
        XCTAssertEqual(NoteDraft(text: "Boom in shot", frame: " 120 ").target(fileId: 7),
                       .comment(fileId: 7, text: "Boom in shot", frame: 120))
        let bad = NoteDraft(text: "Boom in shot", frame: "12s")
        XCTAssertFalse(bad.frameIsValid)
        XCTAssertNil(bad.target(fileId: 7))
        XCTAssertFalse(NoteDraft(text: "x", frame: "-3").frameIsValid)
        XCTAssertEqual(Presentation.command(.addNote, target: .comment(fileId: 7, text: "Boom", frame: 120)),
                       .dispatch(.addNote(fileId: 7, text: "Boom", frame: 120)))
        XCTAssertEqual(Presentation.command(.retryNote, target: .note(41)), .dispatch(.retryNote(id: 41)))
        XCTAssertEqual(Presentation.command(.addTrigger, target: .trigger(channel: 0, input: 3)),
                       .dispatch(.addTrigger(channel: 0, input: 3)))
        XCTAssertEqual(Presentation.command(.addNote, target: .file(7)), .unavailable)
    }
}

final class AppViewHelpersTests: XCTestCase {
    func testConnectedProjectNameAndTheListenerBlock() {
        let queue = QueueView(mode: .auto, modeText: "Auto upload", pausedByUser: false,
                              banner: Samples.banners[0], summary: "", filesRemaining: 0, bytesRemaining: 0,
                              current: nil, sections: [], selectedIds: [], selectionText: nil, actions: [])
        var view = AppView(connection: Samples.connection[12], connectionHeader: Samples.header,
                           connectionActions: [], network: Samples.network[0], queue: queue, notices: [],
                           alert: nil, takeLog: Samples.takeLog)
        XCTAssertEqual(view.connectedProjectName, "Testbed")
        view.connection = .notConnected(user: Samples.user, method: .account)
        XCTAssertNil(view.connectedProjectName)

        let got = Recorder<String>()
        ViewListenerBlock { got.add(Presentation.connection($0).stateId) }.onView(view: view)
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
