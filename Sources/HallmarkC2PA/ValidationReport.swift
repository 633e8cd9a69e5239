/// A soft binding found in a manifest: its algorithm and value (hex).
public struct SoftBindingValue: Sendable, Codable, Equatable {
    public var alg: String
    public var valueHex: String
    public init(alg: String, valueHex: String) { self.alg = alg; self.valueHex = valueHex }
}

/// What validating an asset found, with c2pa-rs' states and C2PA status codes.
public struct ManifestReport: Sendable, Codable, Equatable {
    /// A manifest store was found (in the file, a sidecar, or given).
    public var present: Bool
    /// `Trusted`, `Valid` or `Invalid` (c2pa-rs' meaning); nil when no manifest was found.
    public var validationState: String?
    /// Failure codes: the active manifest's, then its ingredients' (e.g. `signingCredential.untrusted`).
    public var statusCodes: [String]
    /// Success codes of the active manifest (e.g. `claimSignature.validated`).
    public var successCodes: [String]?
    /// Label of the active manifest (`urn:c2pa:...`).
    public var activeManifest: String?
    /// Labels of the active manifest's assertions.
    public var assertions: [String]
    /// The leaf certificate's subject: common name, and organisation when present.
    public var signer: String?
    /// ISO-8601 time from a verified time-stamp token, when there is one.
    public var signedAt: String?
    /// Soft bindings of the active manifest (e.g. the watermark mark id).
    public var softBindings: [SoftBindingValue]
    /// Where the manifest came from: `embedded`, `sidecar` or `given`.
    public var source: String?
    /// Why the asset or manifest could not be read, when it could not.
    public var error: String?

    public init(present: Bool, validationState: String? = nil, statusCodes: [String] = [], successCodes: [String]? = nil,
                activeManifest: String? = nil, assertions: [String] = [], signer: String? = nil, signedAt: String? = nil,
                softBindings: [SoftBindingValue] = [], source: String? = nil, error: String? = nil) {
        self.present = present
        self.validationState = validationState
        self.statusCodes = statusCodes
        self.successCodes = successCodes
        self.activeManifest = activeManifest
        self.assertions = assertions
        self.signer = signer
        self.signedAt = signedAt
        self.softBindings = softBindings
        self.source = source
        self.error = error
    }

    static func absent(error: String? = nil) -> ManifestReport { ManifestReport(present: false, error: error) }
}

/// C2PA validation status codes (C2PA 2.2 section 15) used here.
public enum StatusCode {
    public static let claimSignatureValidated = "claimSignature.validated"
    public static let claimSignatureInsideValidity = "claimSignature.insideValidity"
    public static let claimSignatureOutsideValidity = "claimSignature.outsideValidity"
    public static let claimSignatureMismatch = "claimSignature.mismatch"
    public static let claimSignatureMissing = "claimSignature.missing"
    public static let signingCredentialTrusted = "signingCredential.trusted"
    public static let signingCredentialUntrusted = "signingCredential.untrusted"
    public static let signingCredentialInvalid = "signingCredential.invalid"
    public static let signingCredentialExpired = "signingCredential.expired"
    public static let timeStampValidated = "timeStamp.validated"
    public static let timeStampMismatch = "timeStamp.mismatch"
    public static let timeStampTrusted = "timeStamp.trusted"
    /// The time-stamp's authority is not a trusted TSA: its time was not used.
    public static let timeStampUntrusted = "timeStamp.untrusted"
    public static let assertionHashedURIMatch = "assertion.hashedURI.match"
    public static let assertionHashedURIMismatch = "assertion.hashedURI.mismatch"
    public static let assertionMissing = "assertion.missing"
    public static let assertionBMFFHashMatch = "assertion.bmffHash.match"
    public static let assertionBMFFHashMismatch = "assertion.bmffHash.mismatch"
    public static let assertionBMFFHashMalformed = "assertion.bmffHash.malformed"
    public static let assertionDataHashMatch = "assertion.dataHash.match"
    public static let assertionDataHashMismatch = "assertion.dataHash.mismatch"
    public static let assertionCBORInvalid = "assertion.cbor.invalid"
    public static let claimMalformed = "claim.malformed"
    public static let claimMissing = "claim.missing"
    public static let claimCBORInvalid = "claim.cbor.invalid"
    public static let hardBindingsMissing = "claim.hardBindings.missing"
    public static let algorithmUnsupported = "algorithm.unsupported"
    public static let manifestInaccessible = "manifest.inaccessible"
    public static let generalError = "general.error"

    /// Failures that leave a manifest `Valid` (c2pa-rs' `is_tolerated_manifest_failure_code`).
    /// An untrusted time-stamp only means the signature's time is not vouched for (the
    /// certificate is then checked at the current time), so it is tolerated as well.
    static let tolerated: Set<String> = [signingCredentialUntrusted, timeStampUntrusted]
}
