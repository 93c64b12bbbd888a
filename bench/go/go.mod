module plexctl.example/bench

go 1.24
