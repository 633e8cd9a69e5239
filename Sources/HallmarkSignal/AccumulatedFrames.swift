/// What the detector reads from a `FrameAccumulator`: the mean of the whitened frames and the
/// geometry they came from. A value type, so it can be handed to concurrent detections.
public struct AccumulatedFrames: Sendable {
    /// Analysis size (the source size divided by `decimation`).
    public let width: Int
    public let height: Int
    public let decimation: Int
    public let sourceWidth: Int
    public let sourceHeight: Int
    public let frameCount: Int
    /// Mean whitened luma per analysis pixel, row-major.
    public let mean: [Float]

    public init(width: Int, height: Int, decimation: Int, sourceWidth: Int, sourceHeight: Int, frameCount: Int, mean: [Float]) {
        precondition(mean.count == width * height, "one mean value per analysis pixel")
        self.width = width
        self.height = height
        self.decimation = decimation
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.frameCount = frameCount
        self.mean = mean
    }
}

extension FrameAccumulator {
    /// The frames added so far, as a value.
    public func snapshot() -> AccumulatedFrames {
        AccumulatedFrames(width: width, height: height, decimation: decimation, sourceWidth: sourceWidth,
                          sourceHeight: sourceHeight, frameCount: frameCount, mean: mean)
    }
}
