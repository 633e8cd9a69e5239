/// The label of a manifest store's active manifest (`urn:c2pa:…`): the `manifestId` by which
/// the Soft Binding Resolution API names a store, and what the registry indexes it by.
public enum ManifestLabel {
    /// The label of the active (last) manifest of a JUMBF manifest store, or nil when the bytes
    /// are not a C2PA manifest store or its last manifest has no label.
    public static func active(inStore store: [UInt8]) -> String? {
        guard let box = try? JUMBF.parse(store), box.description?.typeCode == "c2pa" else { return nil }
        return box.children.last { ["c2ma", "c2um"].contains($0.description?.typeCode ?? "") }?.label
    }
}
