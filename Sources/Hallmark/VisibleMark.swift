import Foundation
import HallmarkMedia

/// The visible watermark: a text label or a PNG logo drawn by libavfilter.
public struct VisibleMark: Sendable, Codable, Equatable {
    public enum Content: Sendable, Codable, Equatable {
        case none
        case text(String)
        case logo(path: String)
    }

    public enum Placement: String, Sendable, Codable, CaseIterable {
        case topLeft = "top-left", topRight = "top-right", bottomRight = "bottom-right", bottomLeft = "bottom-left"
        /// Visits the four corners in turn, so cropping one corner does not remove the mark.
        case moving
    }

    public var content: Content
    public var placement: Placement
    /// 0...1
    public var opacity: Double
    /// Height of the text or logo as a fraction of the frame height.
    public var relativeSize: Double
    /// Seconds spent in each corner when moving.
    public var period: Double

    public init(content: Content, placement: Placement = .moving, opacity: Double = 0.6,
                relativeSize: Double = 0.05, period: Double = 4) {
        self.content = content
        self.placement = placement
        self.opacity = opacity
        self.relativeSize = relativeSize
        self.period = period
    }

    public static let defaultText = "AI-generated · Hallmark"

    /// `none`, a path ending in `.png`, or a text label.
    public static func parse(_ argument: String?) throws -> VisibleMark {
        guard let argument, !argument.isEmpty else { return VisibleMark(content: .text(defaultText)) }
        if argument == "none" { return VisibleMark(content: .none) }
        if argument.lowercased().hasSuffix(".png") {
            guard FileManager.default.isReadableFile(atPath: argument) else {
                throw HallmarkError(.invalidInput, "visible logo \(argument) cannot be read")
            }
            return VisibleMark(content: .logo(path: URL(fileURLWithPath: argument).standardizedFileURL.path), relativeSize: 0.1)
        }
        return VisibleMark(content: .text(argument))
    }

    /// The corner (0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left) at time `t`.
    public func corner(at time: Double) -> Int {
        switch placement {
        case .topLeft: return 0
        case .topRight: return 1
        case .bottomRight: return 2
        case .bottomLeft: return 3
        case .moving: return Int((max(0, time) / period).rounded(.down)) % 4
        }
    }

    /// x and y expressions for libavfilter, where `frameW`/`frameH` and `markW`/`markH`
    /// are the filter's own names for the frame and mark sizes.
    private func positionExpressions(margin: Int, frameW: String, frameH: String, markW: String, markH: String) -> (String, String) {
        let left = "\(margin)", right = "\(frameW)-\(markW)-\(margin)"
        let top = "\(margin)", bottom = "\(frameH)-\(markH)-\(margin)"
        switch placement {
        case .topLeft: return (left, top)
        case .topRight: return (right, top)
        case .bottomRight: return (right, bottom)
        case .bottomLeft: return (left, bottom)
        case .moving:
            let corner = "mod(floor(t/\(period)),4)"
            return ("if(eq(\(corner),0)+eq(\(corner),3),\(left),\(right))", "if(lt(\(corner),2),\(top),\(bottom))")
        }
    }

    /// The filter graph that draws this mark on a `width x height` video ("null" when none).
    public func filter(width: Int, height: Int) -> String {
        let margin = max(4, Int(Double(min(width, height)) * 0.03))
        let size = max(8, Int(Double(height) * relativeSize))
        let alpha = String(format: "%.3f", max(0, min(1, opacity)))
        switch content {
        case .none:
            return "null"
        case .text(let text):
            let (x, y) = positionExpressions(margin: margin, frameW: "w", frameH: "h", markW: "tw", markH: "th")
            var options = [
                "text='\(filterGraphEscaped(text))'", "expansion=none", "fontsize=\(size)",
                "fontcolor=white@\(alpha)", "borderw=\(max(1, size / 16))", "bordercolor=black@\(alpha)",
                "x='\(x)'", "y='\(y)'",
            ]
            if let font = Self.fontFile { options.insert("fontfile='\(filterGraphEscaped(font))'", at: 0) }
            return "drawtext=" + options.joined(separator: ":")
        case .logo(let path):
            let (x, y) = positionExpressions(margin: margin, frameW: "W", frameH: "H", markW: "w", markH: "h")
            return "movie=filename='\(filterGraphEscaped(path))',format=rgba,scale=-2:\(size),colorchannelmixer=aa=\(alpha)[hallmarklogo];"
                + "[in][hallmarklogo]overlay=x='\(x)':y='\(y)':format=auto"
        }
    }

    /// A bold sans-serif font: DejaVu (Debian's fonts-dejavu-core) when installed, else fontconfig's default.
    static let fontFile: String? = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    ].first { FileManager.default.fileExists(atPath: $0) }

    /// A short JSON description kept in the registry.
    public var registryDescription: String {
        (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? ""
    }
}
