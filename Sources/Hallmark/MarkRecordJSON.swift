import Foundation
import HallmarkRegistry

/// A registry record as `registry list --format json` and the service's `/v1/marks/{id}` show
/// it: the manifest is summarised (`hasManifest`), not embedded.
public enum MarkRecordJSON {
    public static func object(_ record: MarkRecord) -> [String: Any] {
        let iso = ISO8601DateFormatter()
        return ["markId": MarkID.hex(record.markId), "account": record.account, "clipLabel": record.clipLabel ?? NSNull(),
                "createdAt": iso.string(from: record.createdAt), "inputSHA256": record.inputSHA256 ?? NSNull(),
                "outputSHA256": record.outputSHA256 ?? NSNull(), "hasManifest": record.manifest != nil,
                "manifestId": record.manifestId ?? NSNull(),
                "delivery": record.delivery.rawValue, "outputPath": record.outputPath ?? NSNull(), "sourceId": record.sourceId ?? NSNull()]
    }
}
