import ArgumentParser
import Foundation
import Hallmark
import HallmarkCrypto
import HallmarkFingerprint
import HallmarkRegistry

struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Inspect the mark registry.",
        subcommands: [List.self, Export.self, Backfill.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    static func open(_ global: GlobalOptions) throws -> any MarkRegistry {
        let location = try global.registryLocation() ?? .sqlite(path: global.resolvedHome.registryURL.path)
        let registry: any MarkRegistry
        do { registry = try openRegistry(location, create: false) } catch {
            throw HallmarkError(.configuration, "registry: \(error)")
        }
        // Settle what killed stamps left pending, so the listing says what was delivered.
        _ = try? Deliveries.reconcile(registry)
        return registry
    }

    static func render(_ records: [MarkRecord], as format: Format) -> String {
        let iso = ISO8601DateFormatter()
        switch format {
        case .json:
            let rows: [[String: Any]] = records.map(MarkRecordJSON.object)
            let data = (try? JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self) + "\n"
        case .csv:
            func field(_ text: String?) -> String {
                guard let text else { return "" }
                return text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
            }
            var lines = ["mark_id,account,clip_label,created_at,input_sha256,output_sha256,delivery,output_path,source_id"]
            for r in records {
                lines.append([MarkID.hex(r.markId), field(r.account), field(r.clipLabel), iso.string(from: r.createdAt),
                              r.inputSHA256 ?? "", r.outputSHA256 ?? "", r.delivery.rawValue, field(r.outputPath), field(r.sourceId)].joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var lines = ["MARK ID           ACCOUNT              CREATED               DELIVERY       LABEL"]
            for r in records {
                let account = r.account.count > 20 ? String(r.account.prefix(19)) + "…" : r.account.padding(toLength: 20, withPad: " ", startingAt: 0)
                let delivery = r.delivery.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
                lines.append("\(MarkID.hex(r.markId))  \(account) \(iso.string(from: r.createdAt))  \(delivery) \(r.clipLabel ?? "")")
            }
            lines.append("\(records.count) mark(s)")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List marks, optionally of one account.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this account's marks.") var account: String?
        @Option(help: "table, csv or json.") var format: Format = .table

        func run() throws {
            try reportingErrors {
                let records = try RegistryCommand.open(global).records(account: account)
                print(RegistryCommand.render(records, as: format), terminator: "")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export marks as CSV or JSON, to a file (atomically) or stdout.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this account's marks.") var account: String?
        @Option(help: "csv or json.") var format: Format = .csv
        @Option(name: .short, help: ArgumentHelp("Output file.", valueName: "file")) var output: String?

        func validate() throws { if format == .table { throw ValidationError("--format must be csv or json") } }

        func run() throws {
            try reportingErrors {
                let text = RegistryCommand.render(try RegistryCommand.open(global).records(account: account), as: format)
                guard let output else { print(text, terminator: ""); return }
                let destination = try AtomicOutput(destination: URL(fileURLWithPath: output))
                try destination.write(Data(text.utf8))
                try destination.commit()
            }
        }
    }

    /// Whether the fingerprint stored for `source` is of a version without the hashes above the
    /// caption band (1 or 2).
    static func lacksCaptionHashes(_ source: String, in registry: any MarkRegistry) throws -> Bool {
        guard let id = try registry.fingerprintId(sourceId: source), let row = try registry.fingerprints(ids: [id]).first,
              let stored = Fingerprint(encoded: [UInt8](row.samples)) else { return false }
        return !stored.hasCaptionHashes
    }

    struct Backfill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fingerprint clips stamped before reverse search existed, given their files.",
            discussion: "Each FILE is matched to its records by SHA-256 (a stamped output, or the input it was stamped from); its source gets the file's fingerprint unless it has one, and a fingerprint stored by an older version without the hashes above the caption band is extended with them. One line per file.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Stamped outputs or the inputs they were stamped from.") var files: [String]

        func run() throws {
            try reportingErrors {
                let registry = try RegistryCommand.open(global)
                let records = try registry.records(account: nil)
                var failed = false
                for file in files {
                    let url = URL(fileURLWithPath: file)
                    guard let hash = try? SHA256Hasher.hashFile(at: url).hexString else {
                        Terminal.error("\(file): cannot read"); failed = true; continue
                    }
                    let sources = Set(records.filter { $0.outputSHA256 == hash || $0.inputSHA256 == hash || $0.sourceId == hash }.compactMap(\.sourceId))
                    guard !sources.isEmpty else { print("\(file): no record matches this file"); continue }
                    do {
                        let fingerprint = try ClipFingerprint.of(url)
                        for source in sources.sorted() {
                            let stored = SourceSearch.stored(fingerprint, sourceId: source)
                            let outcome: String
                            if try registry.storeFingerprint(stored) {
                                outcome = "fingerprinted (\(fingerprint.hashes.count) samples)"
                            } else if try RegistryCommand.lacksCaptionHashes(source, in: registry), fingerprint.hasCaptionHashes,
                                      try registry.extendFingerprint(stored) {
                                outcome = "fingerprint extended with the hashes above the caption band"
                            } else {
                                outcome = "already fingerprinted"
                            }
                            print("\(file): source \(source.prefix(16)): " + outcome)
                        }
                    } catch let error as HallmarkError {
                        Terminal.error("\(file): \(error.message)"); failed = true
                    }
                }
                if failed { throw ExitCode(HallmarkExit.invalidInput) }
            }
        }
    }
}
