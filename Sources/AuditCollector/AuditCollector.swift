// The collector library: kernel audit socket, plugin stream, followed logs.
