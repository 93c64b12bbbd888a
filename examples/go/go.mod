module plexctl.example/plexctl

go 1.24
