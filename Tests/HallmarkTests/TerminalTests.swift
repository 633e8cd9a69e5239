import Testing
@testable import HallmarkCLI

/// Console output that needs no video.
struct TerminalTests {
    /// F11: the progress bar's arithmetic stays in range whatever fraction it is given.
    @Test func progressBarClampsHostileFractions() {
        for fraction in [-5, -0.01, 0, 0.5, 1, 7, .infinity, -.infinity, .nan] as [Double] {
            let line = Terminal.progressLine("x", fraction)
            #expect(line.contains("[") && line.contains("]"), "\(fraction): \(line)")
        }
        #expect(Terminal.progressLine("x", -3).hasSuffix("0%"))
        #expect(Terminal.progressLine("x", 9).hasSuffix("100%"))
    }
}
