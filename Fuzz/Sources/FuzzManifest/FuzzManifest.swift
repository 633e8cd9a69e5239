import FuzzSupport
import HallmarkC2PA

/// The whole validator on a file: box walk, embedded store, claim, signature, chain, hard binding.
/// Also the seed extractor (scripts/fuzz.sh runs it with HALLMARK_FUZZ_SEED_OUT set).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = Scratch.write(UnsafeRawBufferPointer(start: data, count: size))
    _ = fuzzValidator.validate(file: url)
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    seedIfAsked()
    return 0
}
