// Small views shared by the screens: tones as colours, action buttons, the avatar, the network
// badge, notices, a take-log note and the QR code.
import CoreImage
import CoreImage.CIFilterBuiltins
import SwiftUI
import Takeup
import TakeupKit
import UIKit

extension Tone {
    var color: Color {
        switch self {
        case .neutral: return .secondary
        case .accent: return .accentColor
        case .positive: return .green
        case .caution: return .orange
        case .critical: return .red
        }
    }
}

extension ActionRole {
    var buttonRole: ButtonRole? {
        switch self {
        case .cancel: return .cancel
        case .destructive: return .destructive
        case .standard, .primary: return nil
        }
    }
}

/// A button for an action the view model offers. Destructive actions ask first.
struct ActionButton: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.openURL) private var openURL
    let kind: ActionKind
    var target: ActionTarget = .none
    var connection: ConnectionView?
    @State private var confirming = false

    var body: some View {
        let p = Presentation.action(kind, on: connection)
        let button = Button(role: p.role.buttonRole) {
            if p.role == .destructive { confirming = true } else { run() }
        } label: {
            Label(p.title, systemImage: p.symbol)
        }
        .confirmationDialog(p.title + "?", isPresented: $confirming, titleVisibility: .visible) {
            Button(p.title, role: .destructive) { run() }
        } message: {
            Text(confirmation(kind))
        }
        if p.role == .primary {
            button.buttonStyle(.borderedProminent)
        } else {
            button.buttonStyle(.bordered)
        }
    }

    private func run() {
        model.perform(kind, target: target, openURL: openURL)
    }

    private func confirmation(_ kind: ActionKind) -> String {
        switch kind {
        case .disconnect: return "Uploads stop until you choose a project again. This device leaves the project's C2C connections."
        case .signOut: return "Uploads stop until you pair this app with Frame.io again."
        case .cancelAll: return "Every file that has not finished uploading is cancelled. You can retry them later."
        case .cancelFile: return "This file stops uploading. You can retry it later."
        default: return ""
        }
    }
}

/// The signed-in user's picture, or their initials.
struct AvatarView: View {
    let user: UserView
    var size: CGFloat = 48

    var body: some View {
        Group {
            if let s = user.avatarUrl, let url = URL(string: s) {
                AsyncImage(url: url) { phase in
                    if let image = phase.image {
                        image.resizable().scaledToFill()
                    } else {
                        initials
                    }
                }
            } else {
                initials
            }
        }
        .frame(width: size, height: size)
        .clipShape(Circle())
        .accessibilityHidden(true)
    }

    private var initials: some View {
        ZStack {
            Circle().fill(Color.accentColor.opacity(0.2))
            Text(user.initials).font(.system(size: size * 0.4, weight: .semibold))
        }
    }
}

/// Connection type, health and speed (checklist: network status always visible).
struct NetworkBadgeView: View {
    let network: NetworkView
    var compact = false

    var body: some View {
        let b = Presentation.network(network)
        if compact {
            Label(b.title, systemImage: b.symbol)
                .labelStyle(.iconOnly)
                .foregroundStyle(b.tone.color)
                .accessibilityLabel(b.detail)
        } else {
            HStack(spacing: 12) {
                Image(systemName: b.symbol).foregroundStyle(b.tone.color).font(.title3)
                VStack(alignment: .leading) {
                    Text(b.title).font(.headline)
                    Text(b.detail).font(.caption).foregroundStyle(.secondary)
                }
            }
            .accessibilityElement(children: .combine)
        }
    }
}

/// The notices shown above every screen (device paused in Frame.io).
struct NoticesView: View {
    let notices: [Notice]

    var body: some View {
        ForEach(Array(notices.enumerated()), id: \.offset) { _, notice in
            let n = Presentation.notice(notice)
            HStack(alignment: .top, spacing: 10) {
                Image(systemName: n.symbol).foregroundStyle(n.tone.color)
                Text(n.message).font(.footnote)
                Spacer(minLength: 0)
            }
            .padding(10)
            .background(n.tone.color.opacity(0.12), in: RoundedRectangle(cornerRadius: 10))
            .accessibilityElement(children: .combine)
        }
    }
}

/// One take-log note (`note_row`): its text, the frame it points at, where it is (sent, waiting
/// and for what, or not sent and why) and Send again when Frame.io refused it.
struct NoteRowView: View {
    let note: NotePresentation
    let retry: () -> Void

    var body: some View {
        HStack(alignment: .top, spacing: 10) {
            Image(systemName: note.symbol).foregroundStyle(note.tone.color)
            VStack(alignment: .leading, spacing: 4) {
                Text(note.text)
                HStack(spacing: 8) {
                    if let frame = note.frame {
                        Label(String(frame), systemImage: "film").labelStyle(.titleAndIcon)
                            .font(.caption.monospacedDigit())
                    }
                    Text(note.detail)
                        .font(.caption)
                        .foregroundStyle(note.tone == .critical ? Color.red : Color.secondary)
                }
                if note.actions.contains(.retryNote) {
                    let p = Presentation.action(.retryNote)
                    Button(action: retry) { Label(p.title, systemImage: p.symbol) }
                        .buttonStyle(.bordered)
                        .font(.caption)
                }
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// A QR code of `content` (CoreImage's CIQRCodeGenerator), drawn with sharp pixels.
struct QRCodeView: View {
    let content: String

    var body: some View {
        if let image = QRCode.image(for: content) {
            Image(uiImage: image)
                .interpolation(.none)
                .resizable()
                .scaledToFit()
                .accessibilityLabel("QR code of the sign-in link")
        } else {
            Image(systemName: "qrcode").resizable().scaledToFit().foregroundStyle(.secondary)
        }
    }
}

enum QRCode {
    private static let context = CIContext()

    static func image(for content: String) -> UIImage? {
        let filter = CIFilter.qrCodeGenerator()
        filter.message = Data(content.utf8)
        filter.correctionLevel = "M"
        guard let output = filter.outputImage?.transformed(by: CGAffineTransform(scaleX: 12, y: 12)),
              let cg = context.createCGImage(output, from: output.extent)
        else { return nil }
        return UIImage(cgImage: cg)
    }
}
