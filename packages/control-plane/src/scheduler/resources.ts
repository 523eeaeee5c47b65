// A reservation's amounts, or a host's capacity, in the units placement counts.
export interface Resources {
  cpuMillicores: number;
  memoryMb: number;
  diskMb: number;
}
