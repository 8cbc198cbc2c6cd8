// The take log (the tablet companion: `take_log`, `take_clip`, `note_row` of
// shared-ui-spec/spec.json) presented: clips with their mark, circle and notes, each note's state
// id, symbol and tone; and the two inputs of the screen, the scene/take form of `log_take` and the
// note field of `add_note`. Plain Swift: tested on Linux by scripts/test-swift.sh.
import Foundation
import Takeup

/// One take-log note (a comment on a clip, or a trigger): `note_row` of the spec.
public struct NotePresentation: Sendable, Equatable, Identifiable {
    public var id: Int64
    /// The spec's state id (screens.note_row.states): `waiting`, `sent`, `failed`.
    public var stateId: String
    public var text: String
    /// The frame a comment points at.
    public var frame: UInt64?
    /// Where it is: `Sent`, `Waits for the network`, `Not sent: …`.
    public var detail: String
    public var symbol: String
    public var tone: Tone
    /// `retry_note` when Frame.io refused it.
    public var actions: [ActionKind]
}

/// One clip of the take log: `take_clip` of the spec.
public struct TakeClipPresentation: Sendable, Equatable, Identifiable {
    /// The queued file's id (what `log_take`, `toggle_circle` and `add_note` name).
    public var id: Int64
    /// The file name.
    public var clip: String
    /// `Scene 12A · Take 3`, or `Not logged`.
    public var title: String
    /// How many notes, how many waiting.
    public var detail: String
    public var scene: String
    public var take: String
    public var circled: Bool
    /// Scene or take given.
    public var isLogged: Bool
    /// The circle-take mark (filled when circled).
    public var circleSymbol: String
    public var notes: [NotePresentation]
    public var actions: [ActionKind]
}

/// The take-log screen: `take_log` of the spec.
public struct TakeLogPresentation: Sendable, Equatable {
    /// `3 notes waiting to send`, `All notes sent`, `No notes yet`.
    public var summary: String
    public var summarySymbol: String
    public var summaryTone: Tone
    public var clips: [TakeClipPresentation]
    /// Real-time logging triggers, newest first.
    public var triggers: [NotePresentation]
    /// `add_trigger` is offered (while connected).
    public var canTrigger: Bool
}

/// The scene/take form of `log_take`, started from the clip's mark.
public struct TakeForm: Sendable, Equatable {
    public var scene: String
    public var take: String
    public var circled: Bool

    public init(scene: String = "", take: String = "", circled: Bool = false) {
        self.scene = scene
        self.take = take
        self.circled = circled
    }

    public init(_ clip: TakeClipPresentation) {
        self.init(scene: clip.scene, take: clip.take, circled: clip.circled)
    }

    /// The engine keeps at most this many characters of a scene or a take.
    public static let maxChars = 32

    private static func clean(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Neither field longer than the engine takes (it would refuse the whole mark).
    public var isValid: Bool {
        Self.clean(scene).count <= Self.maxChars && Self.clean(take).count <= Self.maxChars
    }

    /// Whether saving would change `clip`'s mark (the engine writes nothing for the same mark).
    public func changes(_ clip: TakeClipPresentation) -> Bool {
        Self.clean(scene) != clip.scene || Self.clean(take) != clip.take || circled != clip.circled
    }

    /// The `log_take` target (trimmed), or nil when invalid.
    public func target(fileId: Int64) -> ActionTarget? {
        guard isValid else { return nil }
        return .take(fileId: fileId, scene: Self.clean(scene), take: Self.clean(take), circled: circled)
    }
}

/// The note field of `add_note`: the text and, optionally, the frame it points at (typed digits).
public struct NoteDraft: Sendable, Equatable {
    public var text: String
    public var frame: String

    public init(text: String = "", frame: String = "") {
        self.text = text
        self.frame = frame
    }

    /// The frame number typed (nil: none typed); `frameIsValid` false for anything but digits.
    public var frameNumber: UInt64? { UInt64(frame.trimmingCharacters(in: .whitespaces)) }

    public var frameIsValid: Bool {
        frame.trimmingCharacters(in: .whitespaces).isEmpty || frameNumber != nil
    }

    /// The `add_note` target, or nil when there is nothing to send (blank text) or the frame is
    /// not a number.
    public func target(fileId: Int64) -> ActionTarget? {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, frameIsValid else { return nil }
        return .comment(fileId: fileId, text: text, frame: frameNumber)
    }
}

extension Presentation {
    // MARK: take log

    public static func takeLog(_ view: TakeLogView) -> TakeLogPresentation {
        let anyFailed = view.clips.contains { $0.notes.contains { $0.state == .failed } }
            || view.triggers.contains { $0.state == .failed }
        let (symbol, tone): (String, Tone) =
            anyFailed ? ("exclamationmark.bubble", .critical)
            : view.waiting > 0 ? ("clock", .caution)
            : view.clips.contains(where: { !$0.notes.isEmpty }) || !view.triggers.isEmpty
            ? ("checkmark.bubble", .positive) : ("text.bubble", .neutral)
        return TakeLogPresentation(summary: view.summary, summarySymbol: symbol, summaryTone: tone,
                                   clips: view.clips.map(clip), triggers: view.triggers.map(note),
                                   canTrigger: view.actions.contains(.addTrigger))
    }

    public static func clip(_ c: TakeClip) -> TakeClipPresentation {
        TakeClipPresentation(id: c.fileId, clip: c.clip, title: c.title, detail: c.detail, scene: c.scene,
                             take: c.take, circled: c.circled, isLogged: !c.scene.isEmpty || !c.take.isEmpty,
                             circleSymbol: c.circled ? "largecircle.fill.circle" : "circle",
                             notes: c.notes.map(note), actions: c.actions)
    }

    public static func note(_ n: NoteRow) -> NotePresentation {
        let (symbol, tone) = noteLayout(n.state)
        return NotePresentation(id: n.id, stateId: noteStateId(n.state), text: n.text, frame: n.frame,
                                detail: n.detail, symbol: symbol, tone: tone, actions: n.actions)
    }

    public static func noteStateId(_ s: NoteState) -> String {
        switch s {
        case .waiting: return "waiting"
        case .sent: return "sent"
        case .failed: return "failed"
        }
    }

    static func noteLayout(_ s: NoteState) -> (String, Tone) {
        switch s {
        case .waiting: return ("clock", .caution)
        case .sent: return ("checkmark.circle.fill", .positive)
        case .failed: return ("exclamationmark.circle.fill", .critical)
        }
    }
}
