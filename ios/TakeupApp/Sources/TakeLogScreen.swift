// The take log (the tablet companion): `take_log`, `take_clip` and `note_row` in
// shared-ui-spec/spec.json. The summary (notes waiting, or all sent), the real-time logging
// triggers (channel and input, then Mark; while connected), then every clip newest first: its
// scene and take (a form), the circle-take toggle, a note field (with an optional frame) and its
// notes, each sent, waiting (and for what) or not sent with Send again.
import SwiftUI
import Takeup
import TakeupKit

struct TakeLogScreen: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.openURL) private var openURL
    let view: AppView
    /// The clip whose scene/take form is open.
    @State private var editing: TakeClipPresentation?

    var body: some View {
        let log = Presentation.takeLog(view.takeLog)
        List {
            Section {
                if !view.notices.isEmpty { NoticesView(notices: view.notices) }
                ProjectLine(view: view)
                Label(log.summary, systemImage: log.summarySymbol)
                    .foregroundStyle(log.summaryTone.color)
            }
            if log.canTrigger || !log.triggers.isEmpty {
                Section {
                    if log.canTrigger {
                        TriggerControls { channel, input in
                            run(.addTrigger, target: .trigger(channel: channel, input: input))
                        }
                    }
                    ForEach(log.triggers) { note in
                        NoteRowView(note: note) { run(.retryNote, target: .note(note.id)) }
                    }
                } header: {
                    let p = Presentation.action(.addTrigger)
                    Label(p.title, systemImage: p.symbol)
                }
            }
            ForEach(log.clips) { clip in
                Section {
                    ClipHeader(clip: clip,
                               toggleCircle: { run(.toggleCircle, target: .file(clip.id)) },
                               editTake: { editing = clip })
                    if clip.actions.contains(.addNote) {
                        NoteComposer(fileId: clip.id) { target in run(.addNote, target: target) }
                    }
                    ForEach(clip.notes) { note in
                        NoteRowView(note: note) { run(.retryNote, target: .note(note.id)) }
                    }
                }
            }
        }
        .navigationTitle("Take log")
        .toolbar {
            ToolbarItem(placement: .navigationBarLeading) {
                NetworkBadgeView(network: view.network, compact: true)
            }
        }
        .sheet(item: $editing) { clip in
            TakeFormSheet(clip: clip) { target in run(.logTake, target: target) }
        }
    }

    private func run(_ kind: ActionKind, target: ActionTarget) {
        model.perform(kind, target: target, openURL: openURL)
    }
}

/// A clip's name, scene and take, note counts, the circle-take toggle and the take form's button.
struct ClipHeader: View {
    let clip: TakeClipPresentation
    let toggleCircle: () -> Void
    let editTake: () -> Void

    var body: some View {
        HStack(alignment: .top, spacing: 12) {
            VStack(alignment: .leading, spacing: 4) {
                Text(clip.title)
                    .font(.headline)
                    .foregroundStyle(clip.isLogged ? Color.primary : Color.secondary)
                Text(clip.clip).font(.caption.monospaced()).lineLimit(1).truncationMode(.middle)
                Text(clip.detail).font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            if clip.actions.contains(.logTake) {
                let p = Presentation.action(.logTake)
                Button(action: editTake) { Label(p.title, systemImage: p.symbol).labelStyle(.iconOnly) }
                    .buttonStyle(.borderless)
                    .accessibilityLabel(p.title)
            }
            if clip.actions.contains(.toggleCircle) {
                let p = Presentation.action(.toggleCircle)
                Button(action: toggleCircle) {
                    Image(systemName: clip.circleSymbol)
                        .font(.title2)
                        .foregroundStyle(clip.circled ? Color.orange : Color.secondary)
                }
                .buttonStyle(.borderless)
                .accessibilityLabel(p.title)
                .accessibilityAddTraits(clip.circled ? .isSelected : [])
            }
        }
        .padding(.vertical, 2)
    }
}

/// The note field of a clip: the text, an optional frame number, and Add note.
struct NoteComposer: View {
    let fileId: Int64
    let send: (ActionTarget) -> Void
    @State private var draft = NoteDraft()
    @FocusState private var focused: Bool

    var body: some View {
        let p = Presentation.action(.addNote)
        let target = draft.target(fileId: fileId)
        HStack(spacing: 8) {
            TextField(p.title, text: $draft.text, axis: .vertical)
                .lineLimit(1...4)
                .focused($focused)
                .submitLabel(.send)
                .onSubmit(submit)
            TextField("Frame", text: $draft.frame)
                .keyboardType(.numberPad)
                .frame(width: 64)
                .multilineTextAlignment(.trailing)
                .foregroundStyle(draft.frameIsValid ? Color.primary : Color.red)
            Button(action: submit) { Label(p.title, systemImage: "arrow.up.circle.fill").labelStyle(.iconOnly) }
                .buttonStyle(.borderless)
                .disabled(target == nil)
                .accessibilityLabel(p.title)
        }
    }

    private func submit() {
        guard let target = draft.target(fileId: fileId) else { return }
        send(target)
        draft = NoteDraft()
        focused = false
    }
}

/// Real-time logging: the channel and input of the trigger, and Mark.
struct TriggerControls: View {
    let mark: (UInt32, UInt32) -> Void
    @State private var channel = 0
    @State private var input = 0

    var body: some View {
        let p = Presentation.action(.addTrigger)
        VStack(alignment: .leading, spacing: 8) {
            // The engine's ranges: channel 0...100 (0: the device itself), input 0...99.
            Stepper(value: $channel, in: 0...100) {
                LabeledContent("Channel", value: String(channel))
            }
            Stepper(value: $input, in: 0...99) {
                LabeledContent("Input", value: String(input))
            }
            Button {
                mark(UInt32(channel), UInt32(input))
            } label: {
                Label(p.title, systemImage: p.symbol).frame(maxWidth: .infinity)
            }
            .buttonStyle(.borderedProminent)
        }
    }
}

/// `log_take`: the scene and take of a clip, and its circle, saved together.
struct TakeFormSheet: View {
    @Environment(\.dismiss) private var dismiss
    let clip: TakeClipPresentation
    let save: (ActionTarget) -> Void
    @State private var form: TakeForm

    init(clip: TakeClipPresentation, save: @escaping (ActionTarget) -> Void) {
        self.clip = clip
        self.save = save
        _form = State(initialValue: TakeForm(clip))
    }

    var body: some View {
        let p = Presentation.action(.logTake)
        NavigationStack {
            Form {
                Section {
                    TextField("Scene", text: $form.scene)
                        .textInputAutocapitalization(.characters)
                        .autocorrectionDisabled()
                    TextField("Take", text: $form.take)
                        .keyboardType(.numbersAndPunctuation)
                        .autocorrectionDisabled()
                    Toggle(Presentation.action(.toggleCircle).title, isOn: $form.circled)
                } footer: {
                    Text(clip.clip)
                }
            }
            .navigationTitle(p.title)
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button("Cancel") { dismiss() }
                }
                ToolbarItem(placement: .confirmationAction) {
                    Button(p.title) {
                        if let target = form.target(fileId: clip.id) { save(target) }
                        dismiss()
                    }
                    .disabled(!form.isValid || !form.changes(clip))
                }
            }
        }
        .presentationDetents([.medium])
    }
}
