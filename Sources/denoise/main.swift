import DenoiseCore
print("denoise: under construction")
