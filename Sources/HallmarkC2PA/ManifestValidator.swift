import Foundation
import HallmarkCrypto

/// Validates C2PA manifests in MP4/MOV files, fragmented MP4, sidecar `.c2pa` files and raw
/// manifest stores, with the validation states and status codes of c2pa-rs. Never throws: a
/// problem becomes a status code or the report's `error`.
public struct ManifestValidator: Sendable {
    public let trustAnchorsPEM: String?
    /// Extended key usages accepted on a signer certificate: what c2pa-rs 0.91.3 accepts with
    /// no trust configuration (emailProtection, documentSigning, timeStamping, OCSPSigning,
    /// MS C2PA signing). The C2PA claimSigning EKU 1.3.6.1.4.1.62558.2.1 alone is refused there
    /// (`signingCredential.invalid`), so it is not in the default list either; add it to accept it.
    public var allowedExtendedKeyUsages: Set<String> = [
        "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36", "1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.9",
        "1.3.6.1.4.1.311.76.59.1.9",
    ]
    /// The time certificates are checked at when no trusted time-stamp says otherwise (default: now).
    public var validationTime: Date?
    /// Time-stamping authorities whose tokens may set the time of signing (PEM bundle). A token
    /// whose signer does not chain to one of them gets `timeStamp.untrusted` and its time is
    /// ignored: otherwise anyone could back-date a signature made with an expired key.
    public var timeStampAnchorsPEM: String?

    /// `trustAnchorsPEM`: a PEM bundle of root (or intermediate) certificates; nil trusts none.
    /// `timeStampAnchorsPEM` defaults to the system's certificate bundle (public TSAs chain to it).
    public init(trustAnchorsPEM: String?, timeStampAnchorsPEM: String? = ManifestValidator.systemCertificateBundle) {
        self.trustAnchorsPEM = trustAnchorsPEM
        self.timeStampAnchorsPEM = timeStampAnchorsPEM
    }

    /// The system's CA bundle (Debian's ca-certificates, or the usual other places), read once.
    public static let systemCertificateBundle: String? = {
        for path in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"] {
            if let data = FileManager.default.contents(atPath: path) { return String(decoding: data, as: UTF8.self) }
        }
        return nil
    }()

    /// Validates the manifest embedded in `file`, or in the sidecar `FILE-without-extension.c2pa`
    /// when the file has none.
    public func validate(file: URL) -> ManifestReport {
        validate(file: file, fragments: [])
    }

    /// Validates a fragmented MP4: `file` is the init segment, `fragments` its fragment files.
    public func validate(file: URL, fragments: [URL]) -> ManifestReport {
        let asset: Asset
        do {
            asset = try Asset(url: file, fragments: fragments)
        } catch {
            if let sidecar = sidecarStore(for: file) {
                return validateStore(sidecar, asset: nil, assetError: "\(error)", origin: "sidecar")
            }
            return .absent(error: "\(error)")
        }
        do {
            if let store = try asset.embeddedStore() {
                return validateStore(store, asset: asset, assetError: nil, origin: "embedded")
            }
        } catch {
            return ManifestReport(present: true, validationState: "Invalid", statusCodes: [StatusCode.claimMissing],
                                  source: "embedded", error: "\(error)")
        }
        if let sidecar = sidecarStore(for: file) {
            return validateStore(sidecar, asset: asset, assetError: nil, origin: "sidecar")
        }
        return .absent()
    }

    /// Validates a manifest store given as bytes (for example the registry's copy), against
    /// `assetFile` when given. A stripped file fails the hard binding (`assertion.bmffHash.mismatch`)
    /// while signature and chain are still checked. Without an asset the hard binding is not
    /// checked and `assertion.hardBinding.unchecked` is reported.
    public func validate(manifestStore: [UInt8], assetFile: URL?) -> ManifestReport {
        guard let assetFile else { return validateStore(manifestStore, asset: nil, assetError: nil, origin: "given") }
        do {
            return validateStore(manifestStore, asset: try Asset(url: assetFile, fragments: []), assetError: nil, origin: "given")
        } catch {
            return validateStore(manifestStore, asset: nil, assetError: "\(error)", origin: "given")
        }
    }

    func sidecarStore(for file: URL) -> [UInt8]? {
        let sidecar = file.deletingPathExtension().appendingPathExtension("c2pa")
        guard sidecar.path != file.path,
              let size = (try? FileManager.default.attributesOfItem(atPath: sidecar.path))?[.size] as? NSNumber,
              size.uint64Value <= 256 << 20, // a manifest store is small; refuse to load huge files
              let data = FileManager.default.contents(atPath: sidecar.path) else { return nil }
        return [UInt8](data)
    }

    // MARK: - Store

    func validateStore(_ bytes: [UInt8], asset: Asset?, assetError: String?, origin: String) -> ManifestReport {
        var report = ManifestReport(present: true, source: origin)
        let store: JUMBFBox
        do {
            store = try JUMBF.parse(bytes)
            guard store.description?.typeCode == "c2pa" else { throw C2PAError(.jumbf, "the JUMBF superbox is not a C2PA manifest store") }
        } catch {
            report.validationState = "Invalid"
            report.statusCodes = [StatusCode.claimMissing]
            report.error = "\(error)"
            return report
        }
        let manifests = store.children.filter { ["c2ma", "c2um"].contains($0.description?.typeCode ?? "") }
        guard let active = manifests.last else {
            report.validationState = "Invalid"
            report.statusCodes = [StatusCode.claimMissing]
            report.error = "the manifest store holds no manifest"
            return report
        }
        let context = StoreContext(bytes: bytes, store: store, anchors: anchors(), validator: self)
        let result = context.validate(manifest: active, asset: asset, assetError: assetError, checkBinding: true)
        var ingredientFailures: [String] = []
        for manifest in manifests.dropLast() {
            ingredientFailures += context.validate(manifest: manifest, asset: nil, assetError: nil, checkBinding: false).failures
        }
        report.activeManifest = active.label
        report.assertions = result.assertionLabels
        report.signer = result.signer
        report.signedAt = result.signedAt.map { Self.iso8601($0) }
        report.softBindings = result.softBindings
        report.successCodes = result.success
        report.statusCodes = result.failures + ingredientFailures
        report.error = result.error

        let valid = result.success.contains(StatusCode.claimSignatureValidated)
            && result.success.contains(StatusCode.claimSignatureInsideValidity)
            && result.failures.allSatisfy { StatusCode.tolerated.contains($0) }
            && ingredientFailures.allSatisfy { StatusCode.tolerated.contains($0) }
        let trusted = valid && result.success.contains(StatusCode.signingCredentialTrusted)
            && result.failures.isEmpty && ingredientFailures.isEmpty
        report.validationState = trusted ? "Trusted" : valid ? "Valid" : "Invalid"
        return report
    }

    func anchors() -> [Certificate] {
        guard let pem = trustAnchorsPEM else { return [] }
        return (try? Certificate.parsePEM(pem)) ?? []
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// A media file (and fragments) being checked against a hard binding.
struct Asset {
    let url: URL
    let source: FileByteSource
    let boxes: [BMFFBox]
    let fragments: [URL]

    init(url: URL, fragments: [URL]) throws {
        self.url = url
        source = try FileByteSource(url: url)
        boxes = try BMFFParser.parse(source)
        self.fragments = fragments
    }

    /// The JUMBF store of the first C2PA `manifest` uuid box, if any.
    func embeddedStore() throws -> [UInt8]? {
        for box in boxes where box.type == "uuid" && box.userType == BMFFParser.c2paUUID {
            let payloadLength = box.end - box.payloadOffset
            guard payloadLength >= 4 + 9 + 8 else { continue }
            let head = try source.read(at: box.payloadOffset, count: Int(min(payloadLength, 64)))
            guard let nul = head[4...].firstIndex(of: 0) else { continue }
            let purpose = String(decoding: head[4..<nul], as: UTF8.self)
            guard purpose == "manifest" else { continue }
            let storeStart = box.payloadOffset + UInt64(nul + 1 + 8)
            guard storeStart <= box.end else { throw C2PAError(.bmff, "C2PA box too short") }
            guard box.end - storeStart <= 256 << 20 else { throw C2PAError(.limit, "manifest store larger than 256 MiB") }
            return try source.read(at: storeStart, count: Int(box.end - storeStart))
        }
        return nil
    }
}

/// The outcome for one manifest.
struct ManifestResult {
    var success: [String] = []
    var failures: [String] = []
    var assertionLabels: [String] = []
    var signer: String?
    var signedAt: Date?
    var softBindings: [SoftBindingValue] = []
    var error: String?
}

/// Validation of the manifests of one store.
struct StoreContext {
    let bytes: [UInt8]
    let store: JUMBFBox
    let anchors: [Certificate]
    let validator: ManifestValidator

    func cborContent(of box: JUMBFBox) -> [UInt8]? {
        guard let content = box.content(ofType: "cbor") else { return nil }
        return Array(bytes[content.contentRange])
    }

    func validate(manifest: JUMBFBox, asset: Asset?, assetError: String?, checkBinding: Bool) -> ManifestResult {
        var result = ManifestResult()
        let assertionStore = manifest.children.first { $0.description?.typeCode == "c2as" }
        result.assertionLabels = assertionStore?.children.compactMap(\.label) ?? []

        // Claim.
        guard let claimBox = manifest.children.first(where: { $0.description?.typeCode == "c2cl" }),
              let claimBytes = cborContent(of: claimBox) else {
            result.failures.append(StatusCode.claimMissing)
            return result
        }
        let claim: CBOR
        do { claim = try CBORDecoder.decode(claimBytes) } catch {
            result.failures.append(StatusCode.claimCBORInvalid)
            result.error = "claim: \(error)"
            return result
        }
        guard case .map = claim else {
            result.failures.append(StatusCode.claimMalformed)
            return result
        }
        let isV1 = claimBox.label == "c2pa.claim"

        // Signature.
        verifySignature(manifest: manifest, claimBytes: claimBytes, into: &result)

        // Assertions by hashed URI.
        let references = (isV1 ? claim["assertions"]?.arrayValue : (claim["created_assertions"]?.arrayValue ?? []) + (claim["gathered_assertions"]?.arrayValue ?? [])) ?? []
        let claimAlg = claim["alg"]?.textValue ?? "sha256"
        var resolved: [(label: String, box: JUMBFBox)] = []
        for reference in references {
            guard let url = reference["url"]?.textValue, let hash = reference["hash"]?.bytesValue else {
                result.failures.append(StatusCode.claimMalformed)
                continue
            }
            guard let box = resolve(url, in: manifest) else {
                result.failures.append(StatusCode.assertionMissing)
                continue
            }
            let alg = HashAlgorithm(rawValue: reference["alg"]?.textValue ?? claimAlg)
            guard let alg else { result.failures.append(StatusCode.algorithmUnsupported); continue }
            if alg.hash(bytes[box.contentRange]) == hash {
                result.success.append(StatusCode.assertionHashedURIMatch)
            } else {
                result.failures.append(StatusCode.assertionHashedURIMismatch)
            }
            resolved.append((box.label ?? "", box))
        }

        // Soft bindings.
        for (label, box) in resolved where BMFFHashAssertion.baseLabel(label) == "c2pa.soft-binding" {
            guard let content = cborContent(of: box), let cbor = try? CBORDecoder.decode(content) else { continue }
            let alg = cbor["alg"]?.textValue ?? ""
            for block in cbor["blocks"]?.arrayValue ?? [] {
                if let value = block["value"]?.bytesValue { result.softBindings.append(SoftBindingValue(alg: alg, valueHex: value.hexString)) }
            }
        }

        // Hard binding.
        if checkBinding {
            checkHardBinding(resolved, asset: asset, assetError: assetError, into: &result)
        }
        return result
    }

    /// Finds the assertion box a `self#jumbf=` URI names.
    func resolve(_ url: String, in manifest: JUMBFBox) -> JUMBFBox? {
        guard url.hasPrefix("self#jumbf=") else { return nil }
        var path = String(url.dropFirst("self#jumbf=".count))
        var base = manifest
        // Absolute form: "/c2pa/<manifest>/..." (older files omit the leading slash).
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.first == "c2pa", parts.count >= 2 {
            guard let other = store.child(labeled: parts[1]) else { return nil }
            base = other
            path = parts.dropFirst(2).joined(separator: "/")
        }
        var current: JUMBFBox? = base
        for part in path.split(separator: "/") {
            current = current?.child(labeled: String(part))
        }
        return current
    }

    func verifySignature(manifest: JUMBFBox, claimBytes: [UInt8], into result: inout ManifestResult) {
        guard let signatureBox = manifest.children.first(where: { $0.description?.typeCode == "c2cs" }),
              let coseBytes = cborContent(of: signatureBox) else {
            result.failures.append(StatusCode.claimSignatureMissing)
            return
        }
        let sign1: COSESign1
        do { sign1 = try COSESign1(bytes: coseBytes) } catch {
            result.failures.append(StatusCode.claimSignatureMismatch)
            result.error = "\(error)"
            return
        }
        guard let scheme = sign1.scheme else {
            result.failures.append(StatusCode.algorithmUnsupported)
            result.error = "unsupported COSE algorithm \(sign1.algorithmIdentifier.map(String.init) ?? "none")"
            return
        }
        guard let chainDER = sign1.certificateChain, !chainDER.isEmpty else {
            result.failures.append(StatusCode.signingCredentialInvalid)
            result.error = "the signature carries no x5chain"
            return
        }
        let chain: [Certificate]
        do { chain = try chainDER.map { try Certificate(der: $0) } } catch {
            result.failures.append(StatusCode.signingCredentialInvalid)
            result.error = "a certificate of the signer's chain does not parse: \(error)"
            return
        }
        let leaf = chain[0]
        result.signer = [leaf.subjectCommonName, leaf.subjectOrganization].compactMap { $0 }.joined(separator: ", ")

        // Time-stamp: the time of signing, when it verifies.
        var signingTime: Date?
        if let (version, token) = sign1.timeStampTokens.first, let tst = try? TimeStampToken(der: token) {
            let data = version == 2 ? CBOR.bytes(sign1.signature).encoded() : claimBytes
            let countersigned = CBOR.array([.text("CounterSignature"), .bytes(sign1.protectedBytes), .bytes([]), .bytes(data)]).encoded()
            if tst.signatureVerifies && tst.imprintMatches(countersigned) {
                result.success.append(StatusCode.timeStampValidated)
                let anchors = validator.timeStampAnchorsPEM.flatMap { try? Certificate.parsePEM($0) } ?? []
                switch tst.authorityVerdict(anchors: anchors) {
                case .trusted:
                    signingTime = tst.genTime
                    result.signedAt = tst.genTime
                    result.success.append(StatusCode.timeStampTrusted)
                case .untrusted(let reason):
                    // The token's time is not vouched for by a trusted authority: the signer's
                    // certificate is checked at the current time instead.
                    result.failures.append(StatusCode.timeStampUntrusted)
                    result.error = result.error ?? "time-stamp not trusted: \(reason)"
                }
            }
        }

        let message = COSESign1.toBeSigned(protectedBytes: sign1.protectedBytes, payload: claimBytes)
        guard let key = leaf.publicKey, key.verify(signature: sign1.signature, message: message, scheme: scheme) else {
            result.failures.append(StatusCode.claimSignatureMismatch)
            return
        }
        result.success.append(StatusCode.claimSignatureValidated)

        let time = signingTime ?? validator.validationTime ?? Date()
        if let notBefore = leaf.notBefore, let notAfter = leaf.notAfter, notBefore <= time, time <= notAfter {
            result.success.append(StatusCode.claimSignatureInsideValidity)
        } else {
            // c2pa-rs stops the profile checks here but still checks trust.
            result.failures.append(StatusCode.signingCredentialExpired)
        }
        if !result.failures.contains(StatusCode.signingCredentialExpired), let problem = profileProblem(leaf) {
            result.failures.append(StatusCode.signingCredentialInvalid)
            result.error = "signer certificate: \(problem)"
        }
        // Trust, as c2pa-rs' trust policy decides it: a path to an anchor, and an allowed EKU.
        let allowedEKU = (leaf.extendedKeyUsageOIDs ?? []).contains(where: validator.allowedExtendedKeyUsages.contains)
        switch Certificate.verifyChain(leaf: leaf, intermediates: Array(chain.dropFirst()), anchors: anchors, at: time) {
        case .trusted where allowedEKU: result.success.append(StatusCode.signingCredentialTrusted)
        default: result.failures.append(StatusCode.signingCredentialUntrusted)
        }
    }

    /// C2PA 14.5.1 checks on the signer certificate, as c2pa-rs makes them; nil when it passes.
    func profileProblem(_ leaf: Certificate) -> String? {
        guard leaf.version == 3 else { return "not an X.509 v3 certificate" }
        let allowedSignatureAlgorithms: Set<String> = [
            "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10",
            "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4", "1.3.101.112",
        ]
        guard allowedSignatureAlgorithms.contains(leaf.signatureAlgorithmOID) else {
            return "signature algorithm \(leaf.signatureAlgorithmOID) is not allowed"
        }
        switch leaf.publicKey?.type {
        case .rsa(let bits)?: if bits < 2048 { return "RSA key shorter than 2048 bits" }
        case .ecP256?, .ecP384?, .ecP521?, .ed25519?: break
        case nil: return "unsupported public key"
        }
        if leaf.isCA { return "the signer is a CA" }
        if leaf.hasUniqueIdentifiers { return "unique identifiers are not allowed" }
        guard let ekus = leaf.extendedKeyUsageOIDs else { return "no extended key usage" }
        if ekus.contains("2.5.29.37.0") { return "anyExtendedKeyUsage is not allowed" }
        guard ekus.contains(where: validator.allowedExtendedKeyUsages.contains) else { return "no allowed extended key usage" }
        let ocsp = ekus.contains("1.3.6.1.5.5.7.3.9")
        let timeStamping = ekus.contains("1.3.6.1.5.5.7.3.8")
        if (ocsp && timeStamping) || ((ocsp != timeStamping) && ekus.count > 1) { return "invalid mix of extended key usages" }
        guard leaf.hasAuthorityKeyIdentifier else { return "no authority key identifier" }
        guard leaf.keyUsageDigitalSignature || leaf.keyUsageNonRepudiation else { return "key usage lacks digitalSignature" }
        if leaf.hasInvalidExtensions { return "an extension does not parse" }
        return nil
    }

    func checkHardBinding(_ assertions: [(label: String, box: JUMBFBox)], asset: Asset?, assetError: String?, into result: inout ManifestResult) {
        let bindings = assertions.filter {
            BMFFHashAssertion.version(ofLabel: $0.label) != nil || BMFFHashAssertion.baseLabel($0.label) == "c2pa.hash.data"
        }
        guard let binding = bindings.first else {
            result.failures.append(StatusCode.hardBindingsMissing)
            return
        }
        let isBMFF = BMFFHashAssertion.version(ofLabel: binding.label) != nil
        let mismatch = isBMFF ? StatusCode.assertionBMFFHashMismatch : StatusCode.assertionDataHashMismatch
        let match = isBMFF ? StatusCode.assertionBMFFHashMatch : StatusCode.assertionDataHashMatch
        guard let asset else {
            if let assetError {
                result.failures.append(mismatch)
                result.error = result.error ?? "the asset could not be read: \(assetError)"
            } else {
                result.failures.append("assertion.hardBinding.unchecked")
            }
            return
        }
        guard let content = cborContent(of: binding.box), let cbor = try? CBORDecoder.decode(content) else {
            result.failures.append(StatusCode.assertionCBORInvalid)
            return
        }
        do {
            let ok: Bool
            if isBMFF {
                ok = try BMFFVerifier.verify(try BMFFHashAssertion(cbor: cbor, label: binding.label), asset: asset)
            } else {
                ok = try DataHashVerifier.verify(cbor, source: asset.source)
            }
            result.success.append(ok ? match : mismatch)
            if !ok { result.failures.append(mismatch) ; result.success.removeLast() }
        } catch let error as C2PAError where error.code == .manifest {
            result.failures.append(isBMFF ? StatusCode.assertionBMFFHashMalformed : mismatch)
            result.error = result.error ?? "\(error)"
        } catch {
            result.failures.append(mismatch)
            result.error = result.error ?? "\(error)"
        }
    }
}

/// `c2pa.hash.data`: a hash of the whole file minus byte ranges.
enum DataHashVerifier {
    static func verify(_ cbor: CBOR, source: FileByteSource) throws -> Bool {
        guard let hash = cbor["hash"]?.bytesValue else { throw C2PAError(.manifest, "data hash without hash") }
        guard let alg = HashAlgorithm(rawValue: cbor["alg"]?.textValue ?? "sha256") else { throw C2PAError(.manifest, "unsupported hash algorithm") }
        var excluded: [Range<UInt64>] = []
        for item in cbor["exclusions"]?.arrayValue ?? [] {
            guard let start = item["start"]?.uint64Value, let length = item["length"]?.uint64Value else {
                throw C2PAError(.manifest, "malformed data hash exclusion")
            }
            let (end, overflow) = start.addingReportingOverflow(length)
            guard !overflow, end <= source.length else { return false }
            excluded.append(start..<end)
        }
        excluded.sort { $0.lowerBound < $1.lowerBound }
        let hasher = DigestHasher(alg)
        var cursor: UInt64 = 0
        for range in excluded + [source.length..<source.length] {
            if range.lowerBound > cursor { try source.stream(cursor..<range.lowerBound) { _, chunk in hasher.update(chunk) } }
            cursor = max(cursor, range.upperBound)
        }
        return hasher.finalize() == hash
    }
}
