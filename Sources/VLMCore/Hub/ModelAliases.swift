import Foundation

/// Short names for the models vlmnode uses by default, accepted wherever a model is (`--model owlvit`,
/// `<param name="model" value="clip"/>`, `vlmnode models pull xclip`): `ModelStore.hubID` expands them,
/// so every command and node gets them. `name@revision` keeps the revision (`owlvit@refs/pr/1`).
public enum ModelAliases {
    /// Short name -> hub repository, in the order help texts list them. One line per model.
    public static let table: [(name: String, repo: String)] = [
        ("clip", "openai/clip-vit-base-patch32"),
        ("owlvit", "google/owlvit-base-patch32"),
        ("xclip", "microsoft/xclip-base-patch32"),
        ("clipseg", "CIDAS/clipseg-rd64-refined"),
        ("vilt", "dandelin/vilt-b32-finetuned-vqa"),
    ]

    /// The hub id text for a short name (`owlvit` -> `google/owlvit-base-patch32`,
    /// `clip@v2` -> `openai/clip-vit-base-patch32@v2`); nil when `text` is not a short name.
    public static func expand(_ text: String) -> String? {
        let name = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
        guard let repo = table.first(where: { $0.name == name })?.repo else { return nil }
        return repo + text.dropFirst(name.count)
    }

    /// The short name of a hub repository, if it has one.
    public static func shortName(of repo: String) -> String? { table.first { $0.repo == repo }?.name }

    /// `clip, owlvit, xclip, clipseg, vilt` for messages.
    public static var names: String { table.map(\.name).joined(separator: ", ") }
}
