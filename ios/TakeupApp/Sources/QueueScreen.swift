// The upload queue: `queue` in shared-ui-spec/spec.json. Auto/manual toggle, pause/resume,
// cancel all, multi-select (EditMode) with select all / upload selected / clear, the banner and
// summary (files and bytes remaining), the current file's progress, then the sections with their
// rows (move to top, cancel, retry, reasons).
import SwiftUI
import Takeup
import TakeupKit
import UniformTypeIdentifiers

struct QueueScreen: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.openURL) private var openURL
    let view: AppView
    @State private var editMode: EditMode = .inactive
    @State private var importing = false
    @State private var confirmCancelAll = false

    private var queue: QueueView { view.queue }

    var body: some View {
        List(selection: selection) {
            Section {
                if !view.notices.isEmpty { NoticesView(notices: view.notices) }
                ProjectLine(view: view)
                if queue.actions.contains(.setAuto) || queue.actions.contains(.setManual) {
                    Picker("Uploads", selection: modeBinding) {
                        Text(Presentation.action(.setAuto).title).tag(QueueMode.auto)
                        Text(Presentation.action(.setManual).title).tag(QueueMode.manual)
                    }
                    .pickerStyle(.segmented)
                    Text(queue.modeText).font(.footnote).foregroundStyle(.secondary)
                }
                BannerView(banner: queue.banner, summary: queue.summary)
                if let current = queue.current {
                    CurrentFileView(row: current)
                }
            }
            ForEach(queue.sections, id: \.kind) { section in
                Section {
                    ForEach(section.rows, id: \.id) { row in
                        FileRowView(row: row, editing: editMode.isEditing)
                            .tag(row.id)
                            .swipeActions(edge: .trailing) { rowButtons(row, trailing: true) }
                            .swipeActions(edge: .leading) { rowButtons(row, trailing: false) }
                            .contextMenu { rowButtons(row, trailing: nil) }
                    }
                } header: {
                    Label(section.title, systemImage: Presentation.section(section.kind).symbol)
                }
            }
        }
        .environment(\.editMode, $editMode)
        .navigationTitle("Uploads")
        .toolbar {
            ToolbarItem(placement: .navigationBarLeading) {
                NetworkBadgeView(network: view.network, compact: true)
            }
            ToolbarItemGroup(placement: .navigationBarTrailing) {
                ForEach([ActionKind.pause, .resume].filter { queue.actions.contains($0) }, id: \.self) { kind in
                    let p = Presentation.action(kind)
                    Button { run(kind) } label: { Label(p.title, systemImage: p.symbol) }
                }
                Menu {
                    Button { importing = true } label: { Label("Add files…", systemImage: "plus") }
                    if canSelect {
                        Button {
                            editMode = editMode.isEditing ? .inactive : .active
                        } label: {
                            Label(editMode.isEditing ? "Done selecting" : "Select files", systemImage: "checklist")
                        }
                    }
                    if queue.actions.contains(.cancelAll) {
                        Button(role: .destructive) { confirmCancelAll = true } label: {
                            Label(Presentation.action(.cancelAll).title, systemImage: "xmark.circle")
                        }
                    }
                } label: {
                    Label("More", systemImage: "ellipsis.circle")
                }
            }
        }
        .safeAreaInset(edge: .bottom) {
            if editMode.isEditing || !queue.selectedIds.isEmpty {
                SelectionBar(queue: queue) { kind in
                    run(kind)
                    if kind == .uploadSelected { editMode = .inactive }
                }
            }
        }
        .confirmationDialog(Presentation.action(.cancelAll).title + "?", isPresented: $confirmCancelAll, titleVisibility: .visible) {
            Button(Presentation.action(.cancelAll).title, role: .destructive) { run(.cancelAll) }
        } message: {
            Text("Every file that has not finished uploading is cancelled. You can retry them later.")
        }
        .fileImporter(isPresented: $importing, allowedContentTypes: [.movie, .audio, .image, .data],
                      allowsMultipleSelection: true) { result in
            if case .success(let urls) = result {
                Task { await model.importFiles(urls) }
            }
        }
        .onChange(of: canSelect) { can in
            if !can { editMode = .inactive }
        }
    }

    /// Manual mode with files waiting for selection.
    private var canSelect: Bool {
        queue.sections.contains { $0.rows.contains { $0.actions.contains(.toggleSelect) } }
    }

    /// The list's selection is the view model's: changes are sent as toggle_select.
    private var selection: Binding<Set<Int64>> {
        Binding(
            get: { Set(queue.selectedIds) },
            set: { new in
                let old = Set(queue.selectedIds)
                let selectable = Set(queue.sections.flatMap { $0.rows }
                    .filter { $0.actions.contains(.toggleSelect) }.map(\.id))
                for id in new.symmetricDifference(old) where selectable.contains(id) {
                    run(.toggleSelect, target: .file(id))
                }
            })
    }

    private var modeBinding: Binding<QueueMode> {
        Binding(get: { queue.mode }, set: { run($0 == .auto ? .setAuto : .setManual) })
    }

    private func run(_ kind: ActionKind, target: ActionTarget = .none) {
        model.perform(kind, target: target, openURL: openURL)
    }

    /// A row's actions: swipe trailing = cancel; leading = move to top / retry; menu = all.
    @ViewBuilder
    private func rowButtons(_ row: FileRow, trailing: Bool?) -> some View {
        ForEach(row.actions.filter { $0 != .toggleSelect }, id: \.self) { kind in
            let destructive = kind == .cancelFile
            if trailing == nil || trailing == destructive {
                let p = Presentation.action(kind)
                Button(role: p.role.buttonRole) {
                    run(kind, target: .file(row.id))
                } label: {
                    Label(p.title, systemImage: p.symbol)
                }
                .tint(destructive ? Color.red : Color.accentColor)
            }
        }
    }
}

/// Where uploads go (checklist: the connected project is always visible).
struct ProjectLine: View {
    let view: AppView

    var body: some View {
        if let name = view.connectedProjectName {
            Label("Uploading to \(name)", systemImage: "folder.fill")
                .font(.subheadline.weight(.semibold))
        } else {
            Label("Not connected to a Frame.io project", systemImage: "folder.badge.questionmark")
                .font(.subheadline)
                .foregroundStyle(.orange)
        }
    }
}

struct BannerView: View {
    let banner: QueueBanner
    let summary: String

    var body: some View {
        let b = Presentation.banner(banner)
        HStack(alignment: .top, spacing: 12) {
            Image(systemName: b.symbol).font(.title2).foregroundStyle(b.tone.color)
            VStack(alignment: .leading, spacing: 2) {
                Text(b.title).font(.headline)
                if !b.detail.isEmpty { Text(b.detail).font(.subheadline) }
                if !summary.isEmpty {
                    Text(summary).font(.footnote).foregroundStyle(.secondary)
                }
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// The file uploading first, with its progress.
struct CurrentFileView: View {
    let row: FileRow

    var body: some View {
        let p = Presentation.row(row)
        VStack(alignment: .leading, spacing: 6) {
            Text(row.name).font(.subheadline.weight(.medium)).lineLimit(1).truncationMode(.middle)
            FileProgressBar(progress: p.progress)
            HStack {
                Text(p.detail)
                Spacer()
                if let progress = p.progress { Text(Format.percent(progress)) }
            }
            .font(.caption.monospacedDigit())
            .foregroundStyle(.secondary)
        }
    }
}

/// A file's progress: the fraction when its size is known, else a running bar.
struct FileProgressBar: View {
    let progress: Double?

    var body: some View {
        if let progress {
            ProgressView(value: progress)
        } else {
            ProgressView().progressViewStyle(.linear)
        }
    }
}

struct FileRowView: View {
    let row: FileRow
    let editing: Bool

    var body: some View {
        let p = Presentation.row(row)
        HStack(spacing: 12) {
            if !editing {
                Image(systemName: p.symbol).foregroundStyle(p.tone.color)
            }
            VStack(alignment: .leading, spacing: 4) {
                HStack {
                    Text(row.name).lineLimit(1).truncationMode(.middle)
                    Spacer()
                    Text(p.kind).font(.caption2.weight(.semibold)).padding(.horizontal, 6).padding(.vertical, 2)
                        .background(Color.secondary.opacity(0.15), in: Capsule())
                }
                if p.showsProgress {
                    FileProgressBar(progress: p.progress)
                }
                Text("\(p.status) · \(p.detail)")
                    .font(.caption)
                    .foregroundStyle(p.tone == .critical ? Color.red : Color.secondary)
                    .lineLimit(3)
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// Multi-select bar: the queue's selection actions.
struct SelectionBar: View {
    let queue: QueueView
    let run: (ActionKind) -> Void

    var body: some View {
        HStack {
            ForEach([ActionKind.selectAll, .clearSelection, .uploadSelected].filter { queue.actions.contains($0) },
                    id: \.self) { kind in
                let p = Presentation.action(kind)
                if p.role == .primary {
                    Button(p.title) { run(kind) }.buttonStyle(.borderedProminent)
                        .disabled(queue.selectedIds.isEmpty)
                } else {
                    Button(p.title) { run(kind) }.buttonStyle(.bordered)
                }
            }
        }
        .frame(maxWidth: .infinity)
        .padding()
        .background(.bar)
        .overlay(alignment: .top) {
            if let selection = queue.selectionText {
                Text(selection).font(.caption2).foregroundStyle(.secondary).offset(y: -2)
            }
        }
    }
}
