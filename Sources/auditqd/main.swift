print("auditqd: live collection arrives with the collector issue")
