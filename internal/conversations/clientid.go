package conversations

// CheckClientMsgID applies the rule for client_msg_id (required, at most MaxClientMsgIDChars,
// no surrounding spaces) to other kinds of message, such as colleague rooms'.
func CheckClientMsgID(id string) error { return checkClientMsgID(id) }
