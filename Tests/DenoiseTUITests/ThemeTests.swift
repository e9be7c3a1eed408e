import Foundation
import Testing
@testable import DenoiseTUI

@Suite struct ThemeTests {
    static let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes").path

    @Test func shippedThemesAreListedDefaultFirst() {
        #expect(Theme.available(in: Self.themes) == ["default", "colorblind", "high-contrast", "light", "mono"])
    }

    @Test(arguments: ["default", "light", "high-contrast", "colorblind", "mono"])
    func shippedThemeLoadsAndCoversEveryRole(name: String) throws {
        let theme = try Theme.load(named: name, from: Self.themes)
        #expect(theme.name == name)
        for role in Role.allCases {
            #expect(theme.styles[role] != nil, "\(name) lacks \(role)")
        }
    }

    @Test func colouredThemesTellTheKeyRolesApart() throws {
        for name in ["default", "light", "high-contrast", "colorblind"] {
            let theme = try Theme.load(named: name, from: Self.themes)
            let key: [Role] = [.text, .changed, .lockedIn, .uncertain, .guided]
            let colours = Set(key.map { theme.style(for: $0).fg })
            #expect(colours.count == key.count, "\(name): text/changed/lockedIn/uncertain/guided share a colour")
            #expect(key.allSatisfy { theme.style(for: $0).fg8 != nil || $0 == .text }, "\(name) lacks 8-colour fallbacks")
        }
    }

    @Test func monoFileMatchesTheBuiltInCopy() throws {
        let mono = try Theme.load(named: "mono", from: Self.themes)
        #expect(mono == Theme.monochrome)
        #expect(Playground.monochrome(in: "/nonexistent") == Theme.monochrome)
    }

    @Test func unknownThemeListsTheAvailableOnes() {
        #expect(throws: ThemeError("theme \"x\" not found in \(Self.themes); available: default, colorblind, high-contrast, light, mono")) {
            try Theme.load(named: "x", from: Self.themes)
        }
    }

    func parseError(_ json: String) -> String? {
        do {
            _ = try Theme.parse(Data(json.utf8), name: "foo", path: "Themes/foo.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func malformedFilesNameTheFileAndTheProblem() {
        #expect(parseError("{ \"roles\": { \"text\": {} ")?.hasPrefix("Themes/foo.json: not valid JSON") == true)
        // Swift 6.0's JSONDecoder stops the process on invalid UTF-8; every reader checks first.
        let invalid = Data("{ \"roles\": { \"te".utf8) + Data([0xFF]) + Data("xt\": {} } }".utf8)
        #expect(throws: ThemeError("Themes/foo.json: not UTF-8 text (accepted: JSON in UTF-8)")) {
            try Theme.parse(invalid, name: "foo", path: "Themes/foo.json")
        }
        #expect(parseError("{ \"roles\": { \"chnged\": {} } }")?.hasPrefix("Themes/foo.json: unknown role \"chnged\"") == true)
        #expect(parseError("{ \"roles\": { \"text\": { \"fg\": 300 } } }")
                == "Themes/foo.json: role \"text\": fg must be 0...255 or \"default\", got 300")
        #expect(parseError("{ \"roles\": { \"text\": { \"fg8\": \"purple\" } } }")?.contains("fg8 must be one of black") == true)
        #expect(parseError("{ \"roles\": { \"text\": { \"attrs\": [\"blink\"] } } }")?.contains("unknown attribute \"blink\"") == true)
        #expect(parseError("{ \"roles\": { \"text\": { \"colour\": 1 } } }")?.contains("unknown key \"colour\"") == true)
        #expect(parseError("{ \"colours\": {} }")?.contains("unknown key \"colours\"") == true)
        #expect(parseError("[1, 2]") == "Themes/foo.json: expected a JSON object at the top")
        #expect(parseError("{ \"description\": \"x\" }") == "Themes/foo.json: missing \"roles\" object")
        #expect(parseError("{ \"roles\": { \"text\": { \"fg\": \"default\", \"bg\": 17, \"attrs\": [\"bold\"] } } }") == nil)
    }

    @Test func missingRolesLookLikeText() throws {
        let theme = try Theme.parse(Data("{ \"roles\": { \"text\": { \"fg\": 7 } } }".utf8), name: "t", path: "t.json")
        #expect(theme.style(for: .changed) == Style(fg: 7))
    }
}

/// The colour key is worded from the theme: every shipped theme, at each colour depth.
@Suite struct LegendTests {
    func legend(_ theme: String, _ depth: ColourDepth) throws -> String {
        Legend(theme: try Theme.load(named: theme, from: ThemeTests.themes), depth: depth).long(separator: "·")
    }

    @Test func everyShippedThemeNamesItsOwnColours() throws {
        #expect(try legend("default", .full) == "yellow = changed this step · green = settled · rose = could still flip")
        #expect(try legend("default", .eight) == "yellow = changed this step · green = settled · red = could still flip")
        #expect(try legend("colorblind", .full) == "yellow = changed this step · blue = settled · orange = could still flip")
        #expect(try legend("colorblind", .eight) == "bold underlined yellow = changed this step · blue = settled · dim yellow = could still flip")
        #expect(try legend("light", .full) == "orange = changed this step · green = settled · magenta = could still flip")
        #expect(try legend("high-contrast", .full) == "yellow = changed this step · green = settled · magenta = could still flip")
    }

    /// Without colours a mark is named by its attributes; one that looks like plain text is
    /// left out (mono's settled tokens are plain).
    @Test func attributesNameTheMarksWithoutColour() throws {
        #expect(try legend("mono", .none) == "bold underlined = changed this step · dim = could still flip")
        #expect(Legend(theme: .monochrome, depth: .full) == Legend(theme: .monochrome, depth: .none))
        #expect(try legend("default", .none) == "bold = changed this step")
        let plain = Theme(name: "plain", styles: [.text: Style()])
        #expect(Legend(theme: plain, depth: .full).entries.isEmpty)
    }

    @Test func shortAndHelpFormsListTheSameMarks() throws {
        let legend = Legend(theme: try Theme.load(named: "default", from: ThemeTests.themes), depth: .full)
        #expect(legend.short(separator: "·") == "yellow changed · green settled · rose could flip")
        #expect(legend.help(separator: "·") == "yellow: changed this step · green: settled · rose: could flip")
    }

    @Test func xtermColoursAreNamedByHue() {
        let names = [16: "black", 196: "red", 208: "orange", 226: "yellow", 46: "green", 51: "cyan", 21: "blue",
                     93: "purple", 201: "magenta", 174: "rose", 244: "grey", 231: "white", 9: "red", 8: "grey"]
        for (index, name) in names { #expect(ColourNames.xterm(index) == name, "xterm \(index)") }
    }
}
