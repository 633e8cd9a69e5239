/// A row of `schema_migrations`: which schema version was applied to a registry, and when.
public struct AppliedMigration: Sendable, Equatable {
    public var version: Int
    /// ISO-8601 UTC timestamp text, as stored.
    public var appliedAt: String

    public init(version: Int, appliedAt: String) {
        self.version = version
        self.appliedAt = appliedAt
    }
}
