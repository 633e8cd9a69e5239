import Foundation
import Testing
@testable import HallmarkCLI
import HallmarkMedia

/// The pure helpers of `hallmark bench` and `eval`'s bitrate cost (no timing is asserted).
@Suite struct CostMeasureTests {
    @Test func medianAndSpreadOfPairedRatios() {
        let odd = PairedRatios(ours: [2, 3, 10], theirs: [1, 2, 4])
        #expect(odd.ratios == [2, 1.5, 2.5])
        #expect(odd.median == 2)
        #expect(odd.min == 1.5 && odd.max == 2.5)
        #expect(odd.summary == "2.00x (1.50-2.50, 3 pairs)")

        let even = PairedRatios(ours: [1, 3, 2, 4], theirs: [1, 1, 1, 1])
        #expect(even.median == 2.5)
        #expect(PairedRatios(ours: [1.1], theirs: [1]).summary == "1.10x (1.10-1.10, 1 pair)")
    }

    @Test func zeroBaselinesAreLeftOutAndEmptySaysSo() {
        let ratios = PairedRatios(ours: [1, 2], theirs: [0, 1])
        #expect(ratios.ratios == [2])
        #expect(PairedRatios(ours: [], theirs: []).summary == "-")
        #expect(PairedRatios.megabytes(412_300_000) == "412 MB")
    }

    /// Packet sizes and times of the fixture, as `ffprobe -show_entries packet=pts,duration,size` lists them.
    @Test func videoStreamSizeOfAFixture() throws {
        let size = try VideoStreamSize(of: TestSupport.fixture("testsrc-720p.mp4"))
        #expect(size.packets == 90)
        #expect(size.bytes == 700_767)
        #expect(abs(size.seconds - 3) < 1e-9)
        #expect(abs(size.bitsPerSecond - 700_767 * 8 / 3) < 1e-6)
    }

    @Test func childRunReportsExitStatusAndMemory() throws {
        let run = try ChildRun.run("/bin/sh", ["-c", "exit 3"])
        #expect(run.exitStatus == 3)
        #expect(run.peakRSS > 0)
        #expect(try ChildRun.run("/bin/sh", ["-c", "test \"$HALLMARK_HOME\" = /nowhere"], environment: ["HALLMARK_HOME": "/nowhere"]).exitStatus == 0)
    }
}
