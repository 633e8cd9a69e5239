/// A frame averaged into `PerceptualHasher.grid` cells a side (fewer for a small frame), with the
/// box of its picture inside flat borders, in grid cells.
public struct LumaGrid: Sendable {
    public var values: [Float]
    public var columns: Int
    public var rows: Int
    public var picture: (x0: Double, y0: Double, x1: Double, y1: Double)

    /// The part of the picture hashed: its central `PerceptualHasher.central`, as seen in a copy
    /// cropped to `crop` of each side; `aboveCaptions`: without the lower `captionBand` of that.
    public func hashedRegion(crop: Double, aboveCaptions: Bool = false) -> (x0: Double, y0: Double, x1: Double, y1: Double) {
        let fraction = min(1, PerceptualHasher.central / crop), margin = (1 - fraction) / 2
        let w = picture.x1 - picture.x0, h = picture.y1 - picture.y0
        let bottom = picture.y1 - margin * h, top = picture.y0 + margin * h
        return (picture.x0 + margin * w, top, picture.x1 - margin * w,
                aboveCaptions ? bottom - PerceptualHasher.captionBand * (bottom - top) : bottom)
    }
}
