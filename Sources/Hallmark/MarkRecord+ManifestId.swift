import HallmarkC2PA
import HallmarkRegistry

extension MarkRecord {
    /// The label a store without an active manifest label is indexed under (so that it is
    /// parsed once); no lookup asks for it.
    public static let noManifestLabel = ""

    /// The `manifestId` of this record's store: the indexed label, or (for a record written before
    /// labels were indexed) the label read from the store itself; nil without one.
    public var manifestId: String? {
        if let manifestLabel { return manifestLabel == Self.noManifestLabel ? nil : manifestLabel }
        return manifest.flatMap { ManifestLabel.active(inStore: [UInt8]($0)) }
    }

    /// What `manifestLabel` should hold for this record's store (`noManifestLabel` without one).
    public var labelOfStore: String {
        manifest.flatMap { ManifestLabel.active(inStore: [UInt8]($0)) } ?? Self.noManifestLabel
    }
}
