# paws.storage (test stand-in): the tests run R datom on local stores only.
s3 <- function(...) stop("paws.storage stand-in: S3 is not available in datom's test suite")
