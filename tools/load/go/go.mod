module ringletload

go 1.19
