module example.invalid/libplexctl/ffi/go

go 1.24
