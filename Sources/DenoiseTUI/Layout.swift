/// Where each region goes on a screen of a given size. Pure arithmetic on the size alone (not on
/// the content), so panels do not jump about while the sentence changes.
///
///     header                                       1 row
///     token strip                                  the rest
///     noise | controls | rounding                  6 rows at 24, up to 13
///     inspector                                    4 rows at 24, up to 9
///     status line                                  1 row
///     footer                                       1 row
public struct Layout: Sendable, Equatable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public let width: Int
    public let height: Int
    public let header: Rect
    public let strip: Rect
    public let noise: Rect
    public let controls: Rect
    public let rounding: Rect
    public let inspector: Rect
    public let status: Rect
    public let footer: Rect

    /// nil when the screen is smaller than 80 x 24.
    public init?(width: Int, height: Int) {
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else { return nil }
        self.width = width
        self.height = height
        let extra = height - Self.minimumHeight
        let panelsHeight = 6 + min(extra / 2, 7)
        let inspectorHeight = 4 + min(extra / 4, 5)
        let stripHeight = height - 3 - panelsHeight - inspectorHeight
        let side = max(24, width * 3 / 10)
        header = Rect(x: 0, y: 0, width: width, height: 1)
        strip = Rect(x: 0, y: 1, width: width, height: stripHeight)
        let panelsY = strip.maxY
        noise = Rect(x: 0, y: panelsY, width: side, height: panelsHeight)
        controls = Rect(x: side, y: panelsY, width: width - 2 * side, height: panelsHeight)
        rounding = Rect(x: width - side, y: panelsY, width: side, height: panelsHeight)
        inspector = Rect(x: 0, y: panelsY + panelsHeight, width: width, height: inspectorHeight)
        status = Rect(x: 0, y: height - 2, width: width, height: 1)
        footer = Rect(x: 0, y: height - 1, width: width, height: 1)
    }

    /// Every region by name, top to bottom.
    public var regions: [(name: String, rect: Rect)] {
        [("header", header), ("strip", strip), ("noise", noise), ("controls", controls),
         ("rounding", rounding), ("inspector", inspector), ("status", status), ("footer", footer)]
    }
}
