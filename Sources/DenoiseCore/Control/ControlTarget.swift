/// One attribute control: an E2E field and the value to steer towards.
public struct ControlTarget: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var field: String
    public var value: String
    public init(field: String, value: String) { self.field = field; self.value = value }
    public var description: String { "\(field)=\(value)" }
}
