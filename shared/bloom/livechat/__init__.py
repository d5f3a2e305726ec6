"""Live chat with the charity's team (issue 23): the chat documents of each user, history, moderated sends, read
receipts and the unread-reply windows. The Socket.IO service (`functions/livechat_socket.py`) and the Front relay
(`front`, `attachments`, `unread`) use it through `service`."""
