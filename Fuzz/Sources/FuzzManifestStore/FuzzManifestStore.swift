import FuzzSupport
import HallmarkC2PA

/// The whole validator on a manifest store given as bytes (no asset: the hard binding is not checked).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = fuzzValidator.validate(manifestStore: input(data, size), assetFile: nil)
    return 0
}
