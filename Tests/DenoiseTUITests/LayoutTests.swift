import DenoiseCore
import Testing
@testable import DenoiseTUI

@Suite struct LayoutTests {
    @Test(arguments: [(80, 24), (100, 30), (120, 40), (200, 60)])
    func regionsTileTheScreen(width: Int, height: Int) throws {
        let layout = try #require(Layout(width: width, height: height))
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        let regions = layout.regions
        for (name, rect) in regions {
            #expect(screen.contains(rect), "\(name) \(rect) leaves the screen")
            #expect(!rect.isEmpty, "\(name) is empty")
        }
        for (i, a) in regions.enumerated() {
            for b in regions[(i + 1)...] {
                #expect(!a.rect.intersects(b.rect), "\(a.name) overlaps \(b.name)")
            }
        }
        let area = regions.reduce(0) { $0 + $1.rect.width * $1.rect.height }
        #expect(area == width * height, "every cell belongs to one region")
        #expect(layout.noise.height >= 6 && layout.inspector.height >= 4 && layout.strip.height >= 6)
        #expect(layout.noise.width >= 24 && layout.rounding.width >= 24 && layout.controls.width >= 30)
    }

    @Test func biggerScreensGetBiggerPanels() throws {
        let small = try #require(Layout(width: 80, height: 24))
        let large = try #require(Layout(width: 120, height: 40))
        #expect(large.noise.height > small.noise.height)
        #expect(large.inspector.height > small.inspector.height)
        #expect(large.strip.height > small.strip.height)
        #expect(large.controls.width > small.controls.width)
    }

    @Test(arguments: [(79, 24), (80, 23), (40, 10)])
    func tooSmall(width: Int, height: Int) {
        #expect(Layout(width: width, height: height) == nil)
        let frame = Playground.renderFrame(state: AppState(), engineState: Fixtures.engineState(),
                                           summary: Fixtures.summary, width: width, height: height)
        #expect(frame.text.contains("need 80x24, have \(width)x\(height)"))
    }

    @Test func growingBackRestoresTheScreen() {
        let state = Fixtures.engineState()
        let small = Playground.renderFrame(state: AppState(), engineState: state, summary: Fixtures.summary, width: 79, height: 24)
        let back = Playground.renderFrame(state: AppState(), engineState: state, summary: Fixtures.summary, width: 80, height: 24)
        #expect(!small.text.contains("noise"))
        #expect(back.text.contains("noise") && !back.text.contains("too small"))
    }

    @Test func everyPanelIsOnScreen() {
        for (width, height) in [(80, 24), (100, 30), (120, 40)] {
            let text = Playground.renderFrame(state: AppState(), engineState: Fixtures.engineState(),
                                              summary: Fixtures.summary, width: width, height: height).text
            for needle in ["seed 42", "step 137/200", "noise", "controls", "rounding", "food=Italian",
                           "START", "x_t", "space", "quit"] {
                #expect(text.contains(needle), "\(width)x\(height) lacks \(needle)")
            }
        }
    }
}
