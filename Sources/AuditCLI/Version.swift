/// The version both executables print (--version) and the collector records
/// in each run's start row.
public enum AuditqVersion {
    public static let string = "0.2.0"
}
